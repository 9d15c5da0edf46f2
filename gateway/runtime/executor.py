"""The routing executor: walks a compiled tree (single, fallback, loadbalance, conditional, nested).

There is one executor whatever the config came from (manifest route, header config, headers only).
It never imports the ASGI framework; `gateway.http` calls `Executor.run` and maps the result.
"""

from __future__ import annotations

import bisect
from typing import Any

from compiler.specs import LeafSpec, NodeSpec, StrategySpec
from gateway.errors import AllTargetsFailed, GatewayError, RequestError, UpstreamError, UpstreamTimeout
from gateway.runtime.attempts import LeafRunner
from gateway.runtime.context import RequestContext
from gateway.runtime.linked import LinkedRoute, RuntimeGateway
from gateway.runtime.outcomes import CircuitOpen, LeafResult, StreamStart
from gateway.runtime.stages import (
    Components,
    authenticate,
    guard_input,
    limit_context,
    record_usage,
    report_refusal,
)

__all__ = ["Executor"]

_OPERATIONS = {"chat": "chat", "completions": "text_completion", "embeddings": "embeddings"}
_PATHNAMES = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
}


def _falls_through(exc: GatewayError, on_status_codes: tuple[int, ...] | None) -> bool:
    """Fallback moves on after upstream failures (filtered by status); gateway refusals stop it."""
    if isinstance(exc, CircuitOpen):
        return True
    if not isinstance(exc, UpstreamError | AllTargetsFailed):
        return False
    return on_status_codes is None or exc.status in on_status_codes


class Executor:
    """Runs requests through routing trees, driving the optional components at their seams."""

    def __init__(self, components: Components | None = None) -> None:
        self.components = components or Components()
        self._leaves = LeafRunner(self.components)

    async def run(
        self, gw: RuntimeGateway, route: LinkedRoute, ctx: RequestContext, body: dict[str, Any]
    ) -> LeafResult:
        """Execute the request; a stream is returned committed (first chunk read) and unfinished."""
        ctx.route_id, ctx.config_hash = route.spec.id, route.config_hash
        ctx.guardrails = route.guardrails
        ctx.deadline = ctx.started_mono + route.deadline_ms / 1000.0
        telemetry = self.components.telemetry
        if telemetry is not None:
            model = body.get("model")
            ctx.telemetry = telemetry.request_started(
                trace_id=ctx.trace_id,
                route=route.spec.id,
                config_hash=route.config_hash,
                source=str(route.spec.source),
                model=model if isinstance(model, str) else None,
                stream=ctx.stream,
                operation=_OPERATIONS[ctx.endpoint],
                headers=ctx.headers.raw,
            )
        try:
            await authenticate(self.components, route, ctx)
            if self.components.limiter is not None:
                await self.components.limiter.admit_request(limit_context(ctx, body))
            body = await guard_input(self.components, route.input_guardrails, body, ctx)
            result = await self._walk(gw, route, route.spec.root, ctx, body)
        except GatewayError as exc:
            report_refusal(ctx, exc)
            record_usage(self.components, ctx, exc.status)
            raise
        except BaseException:  # a bug or a client that went away: still close the request once
            record_usage(self.components, ctx, 499)
            raise
        if not isinstance(result, StreamStart):
            record_usage(self.components, ctx, ctx.status)
        return result

    async def _walk(
        self,
        gw: RuntimeGateway,
        route: LinkedRoute,
        node: NodeSpec,
        ctx: RequestContext,
        body: dict[str, Any],
    ) -> LeafResult:
        if isinstance(node, LeafSpec):
            return await self._leaves.run(gw, route, node, ctx, body)
        match node.mode:
            case "single":
                return await self._walk(gw, route, node.targets[0], ctx, body)
            case "conditional":
                return await self._walk(gw, route, node.targets[self._choose(route, node, ctx)], ctx, body)
            case "loadbalance":
                return await self._walk(gw, route, self._pick(gw, route, node), ctx, body)
            case "fallback":
                return await self._fallback(gw, route, node, ctx, body)

    def _choose(self, route: LinkedRoute, node: StrategySpec, ctx: RequestContext) -> int:
        facts = {
            "metadata": ctx.headers.metadata,
            "params": ctx.params,
            "url": {"pathname": _PATHNAMES[ctx.endpoint]},
        }
        for predicate, then in route.conditions.get(node.path, ()):
            if predicate(facts):
                return then
        if node.default is not None:
            return node.default
        raise RequestError("Query router did not resolve to any valid target", code="no_route_matched")

    def _pick(self, gw: RuntimeGateway, route: LinkedRoute, node: StrategySpec) -> NodeSpec:
        cumulative = route.weights.get(node.path, ())
        healthy = [not self._is_open(gw, route, t) for t in node.targets]
        if cumulative and all(healthy):
            point = self.components.rng.random() * cumulative[-1]
            return node.targets[min(bisect.bisect_right(cumulative, point), len(node.targets) - 1)]
        # Health-aware pick: targets whose breaker is open are skipped while any other can serve.
        weights = [max(0.0, t.weight) if ok else 0.0 for t, ok in zip(node.targets, healthy, strict=True)]
        if not any(weights):
            weights = [max(0.0, t.weight) for t in node.targets]
        if not any(weights):
            raise RequestError("loadbalance has no target with a positive weight", code="no_route_matched")
        return self.components.rng.choices(node.targets, weights=weights)[0]

    @staticmethod
    def _is_open(gw: RuntimeGateway, route: LinkedRoute, node: NodeSpec) -> bool:
        if not isinstance(node, LeafSpec) or node.circuit_breaker is None:
            return False
        breaker = gw.breakers.peek(f"{route.spec.id}:{node.path}:{node.provider}")
        return breaker is not None and breaker.is_open()

    async def _fallback(
        self,
        gw: RuntimeGateway,
        route: LinkedRoute,
        node: StrategySpec,
        ctx: RequestContext,
        body: dict[str, Any],
    ) -> LeafResult:
        last: GatewayError | None = None
        for target in node.targets:
            if last is not None and ctx.remaining_s() <= 0:
                break
            try:
                return await self._walk(gw, route, target, ctx, body)
            except GatewayError as exc:
                if not _falls_through(exc, node.on_status_codes):
                    raise
                last = exc.last if isinstance(exc, AllTargetsFailed) else exc
        if last is None:
            raise UpstreamTimeout("Request exceeded its overall deadline", provider="")
        raise AllTargetsFailed(last, list(ctx.attempts))
