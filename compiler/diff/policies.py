"""Semantic diff of what is not a routing tree: providers, guardrails, budgets and the policy."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diff.model import Change
from compiler.specs import BudgetSpec, CompiledGateway, GuardrailSpec, PolicySpec

__all__ = ["diff_budgets", "diff_guardrails", "diff_policy", "diff_providers"]

_STRENGTH = {"deny": 2, "redact": 1, "flag": 0}
"""How strongly a guardrail action protects: lower means loosened."""


def diff_providers(old: CompiledGateway, new: CompiledGateway) -> Iterator[Change]:
    """Providers added, removed, or pointed elsewhere."""
    before = {p.id: p for p in old.providers}
    after = {p.id: p for p in new.providers}
    for pid in sorted(before.keys() - after.keys()):
        yield Change(kind="provider_removed", subject=f"provider {pid}", message="provider removed")
    for pid in sorted(after.keys() - before.keys()):
        yield Change(
            kind="provider_added", subject=f"provider {pid}", message=f"provider added ({after[pid].type})"
        )
    for pid in sorted(before.keys() & after.keys()):
        a, b = before[pid], after[pid]
        for field in ("type", "base_url", "models", "default_model", "timeout_ms", "api_key"):
            if getattr(a, field) != getattr(b, field):
                shown = "changed" if field == "api_key" else f"{getattr(a, field)} → {getattr(b, field)}"
                yield Change(kind="provider_changed", subject=f"provider {pid}", message=f"{field} {shown}")


def _guardrail(old: GuardrailSpec, new: GuardrailSpec) -> Iterator[Change]:
    where = f"guardrail {new.id}"
    if _STRENGTH[new.action] < _STRENGTH[old.action]:
        yield Change(
            kind="guardrail_loosened",
            subject=where,
            message=f"action {old.action} → {new.action}",
            risky=True,
        )
    elif old.action != new.action:
        yield Change(kind="guardrail_tightened", subject=where, message=f"action {old.action} → {new.action}")
    dropped = set(old.applies_to) - set(new.applies_to)
    if dropped:
        message = f"no longer applies to {', '.join(sorted(dropped))}"
        yield Change(kind="guardrail_loosened", subject=where, message=message, risky=True)
    old_checks = [(c.type, c.params) for c in old.checks]
    new_checks = [(c.type, c.params) for c in new.checks]
    if old_checks != new_checks:
        details = tuple(f"- {t} {p}" for t, p in old_checks if (t, p) not in new_checks) + tuple(
            f"+ {t} {p}" for t, p in new_checks if (t, p) not in old_checks
        )
        fewer = {t for t, _ in old_checks} - {t for t, _ in new_checks}
        message = "checks changed" + (f" (removed: {', '.join(sorted(fewer))})" if fewer else "")
        yield Change(
            kind="guardrail_checks_changed",
            subject=where,
            message=message,
            risky=bool(fewer),
            details=details,
        )
    if old.stream_mode != new.stream_mode:
        yield Change(
            kind="guardrail_stream_mode",
            subject=where,
            message=f"stream_mode {old.stream_mode} → {new.stream_mode}",
        )


def diff_guardrails(old: CompiledGateway, new: CompiledGateway) -> Iterator[Change]:
    """Guardrails removed (risky), added, or loosened."""
    before = {g.id: g for g in old.guardrails}
    after = {g.id: g for g in new.guardrails}
    for gid in sorted(before.keys() - after.keys()):
        yield Change(
            kind="guardrail_removed", subject=f"guardrail {gid}", message="guardrail removed", risky=True
        )
    for gid in sorted(after.keys() - before.keys()):
        yield Change(
            kind="guardrail_added",
            subject=f"guardrail {gid}",
            message=f"guardrail added ({after[gid].action})",
        )
    for gid in sorted(before.keys() & after.keys()):
        yield from _guardrail(before[gid], after[gid])


def _raised(name: str, old: float | None, new: float | None, factor: float) -> tuple[str, bool] | None:
    """Describe a limit change; risky when removed or raised more than `factor` times."""
    if old == new:
        return None
    if new is None:
        return f"{name} {old:g} → unlimited", True
    if old is None:
        return f"{name} unlimited → {new:g}", False
    ratio = new / old if old else float("inf")
    verb = "raised" if new > old else "lowered"
    return f"{name} {verb} {old:g} → {new:g} ({ratio:.2g}×)", ratio > factor


def _budget(old: BudgetSpec, new: BudgetSpec, factor: float) -> Iterator[Change]:
    where = f"budget {new.id}"
    for name in ("limit_usd", "requests_per_minute", "tokens_per_minute"):
        found = _raised(name, getattr(old, name), getattr(new, name), factor)
        if found is not None:
            message, risky = found
            kind = (
                "budget_raised"
                if "raised" in message or "unlimited" in message.split("→")[-1]
                else "budget_changed"
            )
            yield Change(kind=kind, subject=where, message=message, risky=risky)
    if old.action != new.action:
        risky = old.action == "deny"
        yield Change(
            kind="budget_action", subject=where, message=f"action {old.action} → {new.action}", risky=risky
        )
    if old.scope != new.scope or old.period != new.period:
        was = f"{old.scope.kind} {old.scope.value} per {old.period}"
        message = f"now counts {new.scope.kind} {new.scope.value} per {new.period} (was {was})"
        yield Change(kind="budget_scope", subject=where, message=message)


def diff_budgets(old: CompiledGateway, new: CompiledGateway, factor: float) -> Iterator[Change]:
    """Budgets removed (risky), added, raised (risky beyond `factor`×) or lowered."""
    before = {b.id: b for b in old.budgets}
    after = {b.id: b for b in new.budgets}
    for bid in sorted(before.keys() - after.keys()):
        yield Change(kind="budget_removed", subject=f"budget {bid}", message="budget removed", risky=True)
    for bid in sorted(after.keys() - before.keys()):
        yield Change(kind="budget_added", subject=f"budget {bid}", message="budget added")
    for bid in sorted(before.keys() & after.keys()):
        yield from _budget(before[bid], after[bid], factor)


def _enforced(phase: str, old: tuple[str, ...], new: tuple[str, ...]) -> Iterator[Change]:
    for gone in (g for g in old if g not in new):
        message = f"guardrail `{gone}` removed from the enforced {phase} policy"
        message += " (requests are no longer checked by it unless their route lists it)"
        yield Change(kind="enforced_guardrail_removed", subject="policy", message=message, risky=True)
    for added in (g for g in new if g not in old):
        message = f"guardrail `{added}` now enforced on every {phase}"
        yield Change(kind="enforced_guardrail_added", subject="policy", message=message)


def diff_policy(old: PolicySpec, new: PolicySpec) -> Iterator[Change]:
    """Policy changes; dropping an enforced guardrail or opening header configs is risky."""
    yield from _enforced("input", old.enforced_input_guardrails, new.enforced_input_guardrails)
    yield from _enforced("output", old.enforced_output_guardrails, new.enforced_output_guardrails)
    hosts = sorted(set(new.allowed_custom_hosts) - set(old.allowed_custom_hosts))
    if hosts:
        message = f"custom hosts now allowed: {', '.join(hosts)}"
        yield Change(kind="hosts_allowed", subject="policy", message=message, risky=True)
    if old.header_configs != new.header_configs:
        message = f"header_configs {str(old.header_configs).lower()} → {str(new.header_configs).lower()}"
        yield Change(kind="header_configs", subject="policy", message=message, risky=new.header_configs)
    simple = (
        "default_request_timeout_ms",
        "default_deadline_ms",
        "max_body_bytes",
        "log_prompts",
        "on_valkey_down",
        "cache_partition",
        "header_selectable_routes",
    )
    for name in simple:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            risky = name == "log_prompts" and b is True
            yield Change(kind="policy_changed", subject="policy", message=f"{name} {a} → {b}", risky=risky)
