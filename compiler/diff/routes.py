"""Semantic diff of routing trees: targets added, removed, reordered, weights and settings changed."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.diff.model import Change
from compiler.specs import (
    LeafSpec,
    NodeSpec,
    QueryAll,
    QueryAny,
    QueryCompare,
    QuerySpec,
    RouteSpec,
    StrategySpec,
)

__all__ = ["describe_query", "diff_route", "label_targets", "shares"]


def _label(node: NodeSpec) -> str:
    if node.name:
        return node.name
    if isinstance(node, LeafSpec):
        return node.provider
    return f"{node.mode} group"


def label_targets(node: StrategySpec) -> list[str]:
    """A stable label per target (name, else provider, else mode); repeats get `#2`, `#3`."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for target in node.targets:
        base = _label(target)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def shares(node: StrategySpec) -> dict[str, float]:
    """Each target's share of a loadbalance node's traffic (weights normalised; 0 when all are 0)."""
    weights = [max(0.0, t.weight) for t in node.targets]
    total = sum(weights)
    return {
        label: (w / total if total else 0.0) for label, w in zip(label_targets(node), weights, strict=True)
    }


def describe_query(q: QuerySpec) -> str:
    """A compiled query as one readable line: `metadata.plan $eq "paid"`, `(a or b)`."""
    if isinstance(q, QueryCompare):
        return f"{q.root}.{q.field} {q.op} {q.value}"
    joiner = " and " if isinstance(q, QueryAll) else " or "
    assert isinstance(q, QueryAll | QueryAny)
    return "(" + joiner.join(describe_query(i) for i in q.items) + ")"


def _leaf_settings(leaf: LeafSpec) -> dict[str, str]:
    return {
        "provider": leaf.provider,
        "override_params": leaf.override_params,
        "retry": f"{leaf.retry.attempts} on {list(leaf.retry.on_status_codes)}",
        "request_timeout_ms": str(leaf.request_timeout_ms),
        "cache": "off" if leaf.cache is None else f"{leaf.cache.mode} {leaf.cache.max_age_s}s",
        "circuit_breaker": "off"
        if leaf.circuit_breaker is None
        else f"{leaf.circuit_breaker.failure_threshold}/{leaf.circuit_breaker.cooldown_ms}ms",
        "input_guardrails": ",".join(leaf.input_guardrails) or "-",
        "output_guardrails": ",".join(leaf.output_guardrails) or "-",
        "custom_host": str(leaf.custom_host),
    }


def _codes(codes: tuple[int, ...] | None) -> str:
    return "any failure" if codes is None else "[" + ", ".join(map(str, codes)) + "]"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _targets(where: str, old: StrategySpec, new: StrategySpec) -> Iterator[Change]:
    before, after = label_targets(old), label_targets(new)
    for gone in (x for x in before if x not in after):
        fallback = old.mode == "fallback"
        what = "fallback target" if fallback else "target"
        yield Change(kind="target_removed", subject=where, message=f"{what} `{gone}` removed", risky=fallback)
    for added in (x for x in after if x not in before):
        yield Change(kind="target_added", subject=where, message=f"target `{added}` added")
    kept_before = [x for x in before if x in after]
    kept_after = [x for x in after if x in before]
    if kept_before != kept_after and new.mode in ("fallback", "conditional"):
        message = f"{new.mode} order changed: {', '.join(kept_before)} → {', '.join(kept_after)}"
        yield Change(kind="targets_reordered", subject=where, message=message)
    if new.mode == "loadbalance" and old.mode == "loadbalance":
        old_share, new_share = shares(old), shares(new)
        weights_old = dict(zip(before, (t.weight for t in old.targets), strict=True))
        weights_new = dict(zip(after, (t.weight for t in new.targets), strict=True))
        if old_share != new_share or weights_old != weights_new:
            details = tuple(
                f"`{label}`: weight {weights_old.get(label, 0):g} → {weights_new.get(label, 0):g}, "
                f"traffic {_pct(old_share.get(label, 0.0))} → {_pct(new_share.get(label, 0.0))}"
                for label in dict.fromkeys([*before, *after])
            )
            yield Change(
                kind="weights_changed",
                subject=where,
                message="loadbalance traffic shares changed",
                details=details,
            )


def _conditions(node: StrategySpec) -> list[tuple[str, str]]:
    labels = label_targets(node)
    out = [(describe_query(c.query), labels[c.then]) for c in node.conditions]
    if node.default is not None:
        out.append(("no condition holds (default)", labels[node.default]))
    return out


def _strategy(where: str, old: StrategySpec, new: StrategySpec) -> Iterator[Change]:
    if old.mode != new.mode:
        yield Change(kind="strategy_changed", subject=where, message=f"strategy {old.mode} → {new.mode}")
    if old.on_status_codes != new.on_status_codes:
        was, now = old.on_status_codes, new.on_status_codes
        narrowed = now is not None and (was is None or bool(set(was) - set(now)))
        codes_old, codes_new = _codes(old.on_status_codes), _codes(new.on_status_codes)
        message = f"fallback on_status_codes {codes_old} → {codes_new}"
        yield Change(kind="fallback_statuses_changed", subject=where, message=message, risky=narrowed)
    old_conds, new_conds = _conditions(old), _conditions(new)
    if old_conds != new_conds:
        details = tuple(f"- if {q} → `{t}`" for q, t in old_conds) + tuple(
            f"+ if {q} → `{t}`" for q, t in new_conds
        )
        yield Change(kind="conditions_changed", subject=where, message="conditions changed", details=details)
    yield from _targets(where, old, new)


def _walk(route_id: str, old: NodeSpec, new: NodeSpec) -> Iterator[Change]:
    where = f"route {route_id} {new.path}"
    if isinstance(old, StrategySpec) and isinstance(new, StrategySpec):
        yield from _strategy(where, old, new)
        before, after = label_targets(old), label_targets(new)
        by_label = dict(zip(before, old.targets, strict=True))
        for label, child in zip(after, new.targets, strict=True):
            if label in by_label:
                yield from _walk(route_id, by_label[label], child)
        return
    if isinstance(old, LeafSpec) and isinstance(new, LeafSpec):
        a, b = _leaf_settings(old), _leaf_settings(new)
        for key in a:
            if a[key] != b[key]:
                risky = key.endswith("_guardrails") and bool(
                    set(a[key].split(",")) - set(b[key].split(",")) - {"-"}
                )
                yield Change(
                    kind=f"{key}_changed", subject=where, message=f"{key}: {a[key]} → {b[key]}", risky=risky
                )
        return
    yield Change(kind="node_replaced", subject=where, message="a provider target became a strategy (or back)")


def _guardrails(where: str, phase: str, old: tuple[str, ...], new: tuple[str, ...]) -> Iterator[Change]:
    for gone in (g for g in old if g not in new):
        message = f"{phase} guardrail `{gone}` removed from the route"
        yield Change(kind="guardrail_removed", subject=where, message=message, risky=True)
    for added in (g for g in new if g not in old):
        yield Change(kind="guardrail_added", subject=where, message=f"{phase} guardrail `{added}` added")


def diff_route(old: RouteSpec, new: RouteSpec) -> Iterator[Change]:
    """Every change inside one route (present in both configs)."""
    where = f"route {new.id}"
    yield from _guardrails(where, "input", old.input_guardrails, new.input_guardrails)
    yield from _guardrails(where, "output", old.output_guardrails, new.output_guardrails)
    if old.deadline_ms != new.deadline_ms:
        yield Change(
            kind="deadline_changed",
            subject=where,
            message=f"deadline_ms {old.deadline_ms} → {new.deadline_ms}",
        )
    if old.header_selectable != new.header_selectable:
        message = (
            f"header_selectable {str(old.header_selectable).lower()} → {str(new.header_selectable).lower()}"
        )
        yield Change(kind="selectable_changed", subject=where, message=message, risky=new.header_selectable)
    if old.buffer_stream != new.buffer_stream:
        message = f"buffer_stream {str(old.buffer_stream).lower()} → {str(new.buffer_stream).lower()}"
        yield Change(
            kind="buffer_stream_changed", subject=where, message=message, risky=not new.buffer_stream
        )
    yield from _walk(new.id, old.root, new.root)
