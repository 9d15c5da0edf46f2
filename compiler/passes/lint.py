"""Lint: providers and guardrails that nothing uses."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diagnostics import Diagnostic
from compiler.passes.kinds import Entry
from compiler.specs import BudgetSpec, LeafSpec, NodeSpec, PolicySpec, RouteSpec, StrategySpec

__all__ = ["check_unused", "leaves"]


def leaves(node: NodeSpec) -> Iterator[LeafSpec]:
    """Yield every leaf of a routing tree, left to right."""
    if isinstance(node, StrategySpec):
        for child in node.targets:
            yield from leaves(child)
    else:
        yield node


def check_unused(
    entries: list[Entry],
    routes: list[RouteSpec],
    budgets: list[BudgetSpec],
    policy: PolicySpec,
    complete: bool,
) -> list[Diagnostic]:
    """Warn about providers and guardrails no route, budget or policy refers to (only if all compiled)."""
    if not complete:
        return []
    used_providers = {leaf.provider for r in routes for leaf in leaves(r.root)}
    used_providers |= {b.scope.value for b in budgets if b.scope.kind == "provider"}
    used_guardrails = set(policy.enforced_input_guardrails) | set(policy.enforced_output_guardrails)
    for route in routes:
        used_guardrails |= set(route.input_guardrails) | set(route.output_guardrails)
        for leaf in leaves(route.root):
            used_guardrails |= set(leaf.input_guardrails) | set(leaf.output_guardrails)
    diags: list[Diagnostic] = []
    for entry in entries:
        if entry.id is None:
            continue
        if entry.kind == "provider" and entry.id not in used_providers:
            msg = f"provider `{entry.id}` is not used by any route"
            diags.append(entry.doc.diag("GW-W0902", "/id", msg))
        if entry.kind == "guardrail" and entry.id not in used_guardrails:
            msg = f"guardrail `{entry.id}` is not used by any route or the policy"
            hint = "header configs can still name it; list it in a route to check it always"
            diags.append(entry.doc.diag("GW-W0903", "/id", msg, hint=hint))
    return diags
