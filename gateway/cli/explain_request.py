"""`gw explain ROUTE --request req.json`: the decision path of one request, without calling anyone.

The request goes through a `Sandbox` (the real executor, guardrail engine, cache and budget limiter over
simulated upstreams, optionally failing per `--simulate`); this module only narrates what the
executor did: which condition held, which targets were tried in what order, each attempt's timeout
and status, the cache status, each guardrail verdict and the budgets the estimated maximum cost was
reserved against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compiler.cases import OutcomeSpec
from compiler.diff.routes import describe_query
from compiler.specs import CompiledGateway, LeafSpec, NodeSpec, RouteSpec, StrategySpec
from gateway.cli.sandbox import Sandbox, Trial
from gateway.limits import CostCalculator, LimiterConfig, estimate_prompt_tokens
from gateway.runtime.context import Endpoint
from gateway.runtime.linked import LinkedRoute

__all__ = ["explain_request", "narrate"]

_PATHNAMES = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
}


def _label(node: NodeSpec) -> str:
    if node.name:
        return f"`{node.name}`"
    return node.provider if isinstance(node, LeafSpec) else node.mode


class _Narrator:
    """Walks a route tree next to a Trial and writes what happened at each node."""

    def __init__(self, sandbox: Sandbox, route: LinkedRoute, trial: Trial, facts: dict[str, Any]) -> None:
        self.sandbox, self.route, self.trial, self.facts = sandbox, route, trial, facts
        self.visited = {c.path for c in trial.calls} | {trial.target}
        self.lines: list[str] = []

    def reached(self, node: NodeSpec) -> bool:
        return any(p == node.path or p.startswith(node.path + ".") for p in self.visited if p)

    def node(self, node: NodeSpec, indent: str) -> None:
        if isinstance(node, LeafSpec):
            self.leaf(node, indent)
            return
        self.lines.append(f"{indent}{node.path}: {node.mode} {_label(node) if node.name else ''}".rstrip())
        inner = indent + "   "
        if node.mode == "conditional":
            self.lines.append(f"{inner}{self.condition(node)}")
        elif node.mode == "loadbalance":
            total = sum(max(0.0, t.weight) for t in node.targets) or 1.0
            shares = ", ".join(f"{_label(t)} {max(0.0, t.weight) / total:.0%}" for t in node.targets)
            self.lines.append(f"{inner}weights: {shares}; one target is drawn, no fallback between them")
        elif node.mode == "fallback":
            codes = (
                "any failure" if node.on_status_codes is None else ",".join(map(str, node.on_status_codes))
            )
            order = " → ".join(_label(t) for t in node.targets)
            self.lines.append(f"{inner}tries in order: {order}; moves on after upstream {codes}")
        for child in node.targets:
            if self.reached(child):
                self.node(child, inner)
            else:
                why = "not needed" if node.mode == "fallback" else "not chosen"
                self.lines.append(f"{inner}{child.path}: {_label(child)} — {why}")

    def condition(self, node: StrategySpec) -> str:
        for i, (predicate, then) in enumerate(self.route.conditions.get(node.path, ()), 1):
            if predicate(self.facts):
                cond = node.conditions[i - 1]
                text = f"condition {i} holds: {describe_query(cond.query)}  ({cond.source})"
                return f"{text} → target [{then}] {_label(node.targets[then])}"
        if node.default is not None:
            return f"no condition holds → default [{node.default}] {_label(node.targets[node.default])}"
        return "no condition holds and there is no default → 400"

    def leaf(self, leaf: LeafSpec, indent: str) -> None:
        retry = leaf.retry
        policy = (
            f"retry {retry.attempts}× on {','.join(map(str, retry.on_status_codes))}"
            if retry.attempts
            else "no retry"
        )
        cache = "cache off" if leaf.cache is None else f"cache {leaf.cache.mode}"
        self.lines.append(
            f"{indent}{leaf.path}: {_label(leaf)} via {leaf.provider}, {policy}, {cache}  ({leaf.source})"
        )
        calls = [c for c in self.trial.calls if c.path == leaf.path]
        for n, call in enumerate(calls, 1):
            kind = "call" if n == 1 else f"retry {n - 1}"
            self.lines.append(
                f"{indent}   {kind}: model {call.model or '-'}, timeout {call.timeout_ms} ms → {call.status}"
            )
        if not calls and leaf.path == self.trial.target:
            hit = self.trial.cache.endswith("HIT")
            why = f"answered from the cache ({self.trial.cache})" if hit else "refused before the call"
            self.lines.append(f"{indent}   no call: {why}")


def _costs(compiled: CompiledGateway, trial: Trial, body: dict[str, Any]) -> list[str]:  # Any: OpenAI JSON
    calculator = CostCalculator(compiled.pricing)
    prompt = estimate_prompt_tokens(body)
    types = {p.id: p.type for p in compiled.providers}
    lines = []
    for call in trial.calls:
        max_out = call.max_tokens if call.max_tokens is not None else LimiterConfig().default_max_tokens
        nanos = calculator.max_cost_nanos(types.get(call.provider, ""), call.model, prompt, max_out)
        price = (
            "no price (budgets hold their default reservation)" if nanos is None else f"${nanos / 1e9:.6f}"
        )
        lines.append(f"   {call.path} {call.model}: ≤ {price} (~{prompt} prompt + {max_out} output tokens)")
    return list(dict.fromkeys(lines))


def _budgets(compiled: CompiledGateway, trial: Trial) -> list[str]:
    specs = {b.id: b for b in compiled.budgets}
    lines = []
    for ctx, reservation in trial.reservations:
        for counter, usd in reservation.holds:
            parts = counter.split(":")
            spec = specs.get(parts[2]) if len(parts) > 3 and parts[1] == "b" else None
            if spec is not None:
                limit = f"${spec.limit_usd:g} {spec.period}, {spec.action}"
                call = f"{ctx.provider_id} {ctx.model}"
                lines.append(f"   reserved ${usd:.6f} on `{spec.id}` ({limit}) for {call}")
        lines += [f"   alert: {a}" for a in reservation.alerts]
    if trial.budget == "denied":
        lines.append(f"   refused: {trial.error}")
    return list(dict.fromkeys(lines)) or ["   no spend budget applies"]


def narrate(
    sandbox: Sandbox, route: RouteSpec, trial: Trial, facts: dict[str, Any], body: dict[str, Any]
) -> str:
    """Render the decision path of a request the sandbox ran."""
    linked = sandbox.gateway.routes[route.id]
    narrator = _Narrator(sandbox, linked, trial, facts)
    out = [
        f"route {route.id}  ({route.source})  {sandbox.compiled.content_hash}",
        f"request: {len(body.get('messages') or [])} messages, ~{estimate_prompt_tokens(body)} prompt tokens,"
        f" metadata {facts['metadata'] or '-'}; deadline {linked.deadline_ms} ms shared by every attempt",
        "decision path:",
    ]
    narrator.node(route.root, "  ")
    out += narrator.lines
    out.append(
        f"result: {trial.status}" + (f" from {trial.target} ({trial.provider})" if trial.target else "")
    )
    if trial.error:
        out.append(f"   {trial.error_code or 'error'}: {trial.error}")
    waits = ", ".join(f"{w * 1000:.0f} ms" for w in trial.waits_s) or "none"
    out.append(f"retries: x-portkey-retry-attempt-count {trial.retries}; backoff waits {waits}")
    cached = trial.cache != "DISABLED"
    out.append(f"cache: {trial.cache}" + ("" if cached else " (the answering target has no cache)"))
    out.append("guardrails:")
    out += [f"   {s.phase} {', '.join(s.ids)} → {s.verdict}" for s in trial.guardrail_steps] or [
        "   none run"
    ]
    out.append("estimated max cost per call:")
    out += _costs(sandbox.compiled, trial, body) or ["   no call"]
    out.append("budgets:")
    out += _budgets(sandbox.compiled, trial)
    return "\n".join(out)


async def explain_request(
    compiled: CompiledGateway,
    route_id: str,
    body: dict[str, Any],
    *,
    metadata: Mapping[str, str],
    outcomes: Mapping[str, Sequence[OutcomeSpec]],
    seed: int = 0,
    endpoint: Endpoint = "chat",
) -> str:  # Any: OpenAI request JSON
    """Run the request in a sandbox and narrate its decision path."""
    route = next(r for r in compiled.routes if r.id == route_id)
    sandbox = Sandbox(compiled, outcomes=outcomes, seed=seed)
    try:
        trial = await sandbox.send(route_id, body, metadata=metadata, endpoint=endpoint)
        facts = {"metadata": dict(metadata), "params": body, "url": {"pathname": _PATHNAMES[endpoint]}}
        return narrate(sandbox, route, trial, facts, body)
    finally:
        await sandbox.aclose()
