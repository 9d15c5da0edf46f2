"""Guardrails: input and output checks with deny, flag and redact, enforced on streams too.

`GuardrailEngine(specs)` implements `gateway.ports.GuardrailRunner`; `supports_window` (in the
stdlib-only `capabilities` module) tells the compiler which checks can act on a stream window.
"""

from __future__ import annotations

from gateway.guardrails.capabilities import CHECK_IDS, canonical_check_id, supports_window
from gateway.guardrails.engine import GuardrailEngine, apply_findings
from gateway.guardrails.hooks import CheckTiming, TimingSink
from gateway.guardrails.registry import PARAMS, check_result_id
from gateway.guardrails.stream import WindowFilter

__all__ = [
    "CHECK_IDS",
    "PARAMS",
    "CheckTiming",
    "GuardrailEngine",
    "TimingSink",
    "WindowFilter",
    "apply_findings",
    "canonical_check_id",
    "check_result_id",
    "supports_window",
]
