"""Semantic diff of two compiled configs, for reviewers: what a change does to traffic and safety.

diff_gateways(old, new)   every change, risky ones flagged (pure: two CompiledGateway values in)
render(result, fmt)       `markdown` (a PR comment), `text` or `json`
"""

from __future__ import annotations

from compiler.diff.model import Change, DiffResult
from compiler.diff.policies import diff_budgets, diff_guardrails, diff_policy, diff_providers
from compiler.diff.prompts import diff_prompts
from compiler.diff.render import render
from compiler.diff.routes import diff_route
from compiler.specs import CompiledGateway

__all__ = ["DEFAULT_BUDGET_FACTOR", "Change", "DiffResult", "diff_gateways", "render"]

DEFAULT_BUDGET_FACTOR = 2.0
"""A budget raised more than this many times is flagged as risky."""


def diff_gateways(
    old: CompiledGateway, new: CompiledGateway, *, budget_factor: float = DEFAULT_BUDGET_FACTOR
) -> DiffResult:
    """Compare two compiled configs; an identical content hash means no change."""
    changes: list[Change] = []
    if old.content_hash != new.content_hash or not old.content_hash:
        before = {r.id: r for r in old.routes}
        after = {r.id: r for r in new.routes}
        for rid in sorted(before.keys() - after.keys()):
            message = "route removed (clients that name it get 400)"
            changes.append(Change(kind="route_removed", subject=f"route {rid}", message=message, risky=True))
        for rid in sorted(after.keys() - before.keys()):
            changes.append(Change(kind="route_added", subject=f"route {rid}", message="route added"))
        for rid in sorted(before.keys() & after.keys()):
            changes += diff_route(before[rid], after[rid])
        changes += diff_policy(old.policy, new.policy)
        changes += diff_guardrails(old, new)
        changes += diff_budgets(old, new, budget_factor)
        changes += diff_providers(old, new)
        changes += diff_prompts(old, new)
    return DiffResult(old_hash=old.content_hash, new_hash=new.content_hash, changes=tuple(changes))
