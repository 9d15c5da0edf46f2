"""Policy: the one PolicySpec (defaults when no policy manifest exists)."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.diagnostics import Diagnostic
from compiler.passes.kinds import Entry
from compiler.passes.routes import check_guardrail_refs
from compiler.pointer import join
from compiler.raw import RawPolicy
from compiler.specs import PolicySpec

__all__ = ["build_policy"]


def build_policy(
    entries: list[Entry], guardrails: Mapping[str, tuple[str, ...] | None], routes: Mapping[str, object]
) -> tuple[PolicySpec, list[Diagnostic]]:
    """Compile the policy manifest, checking the guardrails and routes it names."""
    entry = next((e for e in entries if e.kind == "policy" and isinstance(e.raw, RawPolicy)), None)
    if entry is None:
        return PolicySpec(), []
    raw: RawPolicy = entry.raw
    doc = entry.doc
    diags = check_guardrail_refs(
        doc, "/enforced_input_guardrails", raw.enforced_input_guardrails, "input", guardrails
    )
    diags += check_guardrail_refs(
        doc, "/enforced_output_guardrails", raw.enforced_output_guardrails, "output", guardrails
    )
    for i, route in enumerate(raw.header_selectable_routes or ()):
        if route not in routes:
            diags.append(
                doc.unknown("GW-E0303", join("/header_selectable_routes", i), "route", route, routes)
            )
    spec = PolicySpec(
        enforced_input_guardrails=raw.enforced_input_guardrails,
        enforced_output_guardrails=raw.enforced_output_guardrails,
        allowed_custom_hosts=raw.allowed_custom_hosts,
        default_request_timeout_ms=raw.default_request_timeout,
        default_deadline_ms=raw.default_deadline_ms,
        header_configs=raw.header_configs,
        header_selectable_routes=raw.header_selectable_routes,
        max_body_bytes=raw.max_body_bytes,
        log_prompts=raw.log_prompts,
        on_valkey_down=raw.on_valkey_down,
        on_database_down=raw.on_database_down,
        cache_partition=raw.cache_partition,
        source=doc.source(""),
    )
    return spec, diags
