"""Streams: a deny/redact output guardrail must be able to act before streamed text leaves.

A check can judge a stream window by window only if a failure is local to a short span of text
(the rule of `gateway.guardrails.capabilities`, restated here because the compiler may not import
the gateway). Anything else needs the route's `buffer_stream`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.passes.lint import leaves
from compiler.pointer import join
from compiler.raw import RawRoute
from compiler.specs import CheckSpec, GuardrailSpec, RouteSpec

__all__ = ["check_stream_guardrails", "supports_window"]

_ALWAYS_WINDOW = frozenset({"pii", "keywords"})


def supports_window(check: CheckSpec) -> bool:
    """Tell whether a check can judge a stream window by window."""
    if check.type in _ALWAYS_WINDOW:
        return True
    params = json.loads(check.params)
    if check.type == "contains":
        return bool(params.get("operator", "any") == "none")
    if check.type == "regexMatch":
        return params.get("not") is True
    return False


def _blocking(guardrail: GuardrailSpec) -> list[str]:
    """Return why a guardrail needs a buffered stream (empty when it does not)."""
    if guardrail.action == "flag":
        return []
    if guardrail.stream_mode == "end":
        return ["stream_mode `end`"]
    return [f"check `{c.type}` needs the whole text" for c in guardrail.checks if not supports_window(c)]


def check_stream_guardrails(
    doc: Document, raw: RawRoute, route: RouteSpec, guardrails: Mapping[str, GuardrailSpec]
) -> list[Diagnostic]:
    """Require `buffer_stream` when an output guardrail could only deny or redact after sending text."""
    if route.buffer_stream:
        return []
    own = raw.output_guardrails or ()
    uses: list[tuple[str, str]] = [(join("/output_guardrails", i), g) for i, g in enumerate(own)]
    uses += [("", g) for g in route.output_guardrails if g not in own]
    uses += [(leaf.source.pointer, g) for leaf in leaves(route.root) for g in leaf.output_guardrails]
    diags: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for pointer, ident in uses:
        guardrail = guardrails.get(ident)
        if guardrail is None or (pointer, ident) in seen:
            continue
        seen.add((pointer, ident))
        reasons = _blocking(guardrail)
        if reasons:
            msg = f"output guardrail `{ident}` ({guardrail.action}) cannot act on a stream: {reasons[0]}"
            hint = "set `buffer_stream: true` on the route, or give the guardrail action `flag`"
            diags.append(doc.diag("GW-E0511", pointer, msg, hint=hint))
    return diags
