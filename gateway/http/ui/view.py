"""The console's view model: plain dicts and lists built from the live gateway and the console feed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from compiler.specs import CompiledGateway, LeafSpec, NodeSpec, RouteSpec, Source, StrategySpec
from gateway.http.ui.charts import Series, bar_chart, line_chart
from gateway.telemetry import ConsoleFeed, Minute

__all__ = ["WINDOW_MINUTES", "breaker_rows", "charts", "recent_rows", "route_trees", "totals"]

WINDOW_MINUTES = 30
"""Minutes shown in the charts and summed in the tables."""
RECENT_ROWS = 50

_GREEN, _AMBER, _RED, _BLUE, _VIOLET = "#2f9e6e", "#d99a1e", "#d64545", "#3b6fd8", "#8a5cd0"


def _where(source: Source) -> str:
    return f"{source.file}:{source.line}" if source.line else str(source)


def _leaf(node: LeafSpec) -> dict[str, Any]:  # Any: template values
    params = json.loads(node.override_params or "{}")
    details = [f"model {params['model']}"] if isinstance(params.get("model"), str) else []
    if node.weight != 1.0:
        details.append(f"weight {node.weight:g}")
    if node.retry.attempts:
        details.append(f"retry ×{node.retry.attempts}")
    if node.cache is not None:
        details.append(f"cache {node.cache.mode}")
    if node.circuit_breaker is not None:
        details.append(f"breaker after {node.circuit_breaker.failure_threshold} failures")
    return {"kind": "leaf", "label": node.name or node.provider, "provider": node.provider,
            "path": node.path, "details": details, "source": _where(node.source), "children": []}  # fmt: skip


def _node(node: NodeSpec) -> dict[str, Any]:  # Any: template values
    if isinstance(node, LeafSpec):
        return _leaf(node)
    details = []
    if node.on_status_codes:
        details.append("on " + ", ".join(str(c) for c in node.on_status_codes))
    if node.weight != 1.0:
        details.append(f"weight {node.weight:g}")
    if node.conditions:
        details.append(f"{len(node.conditions)} condition(s)")
    children = [_node(child) for child in node.targets]
    return {"kind": "strategy", "label": node.mode, "name": node.name, "path": node.path,
            "details": details, "source": _where(node.source), "children": children}  # fmt: skip


def _route(route: RouteSpec) -> dict[str, Any]:  # Any: template values
    root = route.root
    tree = [_node(root)]
    guardrails = [
        *(f"in: {g}" for g in route.input_guardrails),
        *(f"out: {g}" for g in route.output_guardrails),
    ]
    details = guardrails + ([f"deadline {route.deadline_ms / 1000:g} s"] if route.deadline_ms else [])
    if isinstance(root, StrategySpec) and root.mode == "single" and len(root.targets) == 1:
        tree = [_node(root.targets[0])]
    return {"id": route.id, "description": route.description, "source": _where(route.source),
            "details": details, "tree": tree}  # fmt: skip


def route_trees(compiled: CompiledGateway) -> list[dict[str, Any]]:  # Any: template values
    """Every route as a tree of strategy and target nodes with their source positions."""
    return [_route(route) for route in compiled.routes]


def breaker_rows(snapshot: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    """Circuit breakers from the board's snapshot, open ones first."""
    rows = []
    for key, state in snapshot.items():
        route, path, provider = [*key.split(":", 2), "", ""][:3]
        rows.append({"route": route, "path": path, "provider": provider, **state})
    order = {"open": 0, "half_open": 1}
    return sorted(rows, key=lambda r: (order.get(str(r["state"]), 2), str(r["route"]), str(r["path"])))


def _label(minute: Minute) -> str:
    return time.strftime("%H:%M", time.gmtime(minute.start))


def charts(minutes: list[Minute]) -> dict[str, Any]:  # Any: template values (Markup)
    """Traffic, latency, spend and cache hit rate charts over the given minutes."""
    labels = [_label(m) for m in minutes]
    ok = [float(m.requests - m.errors - m.refused) for m in minutes]
    traffic = [
        Series("answered", _GREEN, ok),
        Series("refused (4xx)", _AMBER, [float(m.refused) for m in minutes]),
        Series("failed (5xx)", _RED, [float(m.errors) for m in minutes]),
    ]
    latency = [
        Series("p50", _BLUE, [m.percentile_ms(0.5) for m in minutes]),
        Series("p95", _VIOLET, [m.percentile_ms(0.95) for m in minutes]),
    ]
    hit = [None if m.hit_rate is None else m.hit_rate * 100 for m in minutes]
    spend = [Series("spend", _VIOLET, [m.cost_usd for m in minutes])]
    return {
        "traffic": bar_chart("Requests per minute", labels, traffic),
        "latency": line_chart("Latency per minute", labels, latency, "ms"),
        "spend": bar_chart("Spend per minute", labels, spend, "$"),
        "cache": line_chart("Cache hit rate", labels, [Series("hit rate", _GREEN, hit)], "%"),
    }  # fmt: skip


def totals(minutes: Iterable[Minute]) -> dict[str, Any]:  # Any: template values
    """Window totals: requests, errors, spend by key/route/model, cache, guardrail verdicts."""
    spend: dict[str, dict[str, float]] = {"key": {}, "route": {}, "model": {}}
    verdicts: dict[tuple[str, str], int] = {}
    out = {"requests": 0, "errors": 0, "refused": 0, "cost_usd": 0.0, "tokens": 0, "hits": 0, "lookups": 0}
    for m in minutes:
        out["requests"] += m.requests
        out["errors"] += m.errors
        out["refused"] += m.refused
        out["cost_usd"] += m.cost_usd
        out["tokens"] += m.tokens
        out["hits"] += m.cache_hits
        out["lookups"] += m.cache_lookups
        for (dim, value), cost in m.spend.items():
            spend[dim][value] = spend[dim].get(value, 0.0) + cost
        for verdict, count in m.verdicts.items():
            verdicts[verdict] = verdicts.get(verdict, 0) + count
    ranked = {dim: sorted(values.items(), key=lambda kv: -kv[1])[:10] for dim, values in spend.items()}
    lookups = out["lookups"]
    hit_rate = None if not lookups else 100.0 * out["hits"] / lookups
    return {**out, "spend": ranked, "hit_rate": hit_rate, "verdicts": sorted(verdicts.items())}


def recent_rows(feed: ConsoleFeed) -> list[dict[str, Any]]:  # Any: template values
    """The newest finished requests first, with their attempt trails."""
    rows = []
    for req in list(feed.recent)[-RECENT_ROWS:][::-1]:
        rows.append(
            {
                "time": time.strftime("%H:%M:%S", time.gmtime(req.finished_at)),
                "trace_id": req.trace_id,
                "route": req.route,
                "model": req.model or "",
                "status": req.status,
                "latency_ms": req.latency_ms,
                "cache": req.cache_status,
                "cost_usd": req.cost_usd,
                "stream": req.stream,
                "attempts": list(req.attempts),
                "guardrails": list(req.guardrails),
                "error": req.error,
            }
        )
    return rows
