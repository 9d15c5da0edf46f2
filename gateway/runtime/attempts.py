"""Calling one leaf: breaker, request body, guardrails, custom host, cache and budget around the call.

The provider call itself (timeouts, retries, stream peeking) is `gateway.runtime.calls`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from compiler.specs import LeafSpec
from gateway.errors import (
    PermissionDenied,
    RequestError,
)
from gateway.ports import CacheRequest, LimitContext, Reservation
from gateway.providers.base import ChatResult
from gateway.providers.openai.translate import usage_from
from gateway.runtime.breaker import CircuitBreaker
from gateway.runtime.calls import ProviderCaller
from gateway.runtime.context import RequestContext
from gateway.runtime.linked import LinkedProvider, LinkedRoute, RuntimeGateway
from gateway.runtime.outcomes import CircuitOpen, LeafResult, ReplayStream, StreamStart
from gateway.runtime.stages import (
    Components,
    cache_request,
    check_context,
    guard_input,
    guard_output,
    limit_context,
)
from gateway.usage import Usage

__all__ = ["LeafRunner", "build_body"]


_ENCODER = msgspec.json.Encoder()


@functools.lru_cache(maxsize=4096)
def _overrides(text: str) -> dict[str, Any]:  # Any: override_params JSON (never mutated)
    value = msgspec.json.decode(text)
    return value if isinstance(value, dict) else {}


def build_body(body: dict[str, Any], leaf: LeafSpec, provider: LinkedProvider) -> dict[str, Any]:
    """Merge the leaf's override_params over the request (override wins) and fill a default model."""
    overrides = _overrides(leaf.override_params) if leaf.override_params != "{}" else None
    out = {**body, **overrides} if overrides else dict(body)
    if not out.get("model") and provider.spec.default_model:
        out["model"] = provider.spec.default_model
    return out


def _merged(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group))


class LeafRunner:
    """Runs one leaf of a routing tree against its provider."""

    def __init__(self, components: Components) -> None:
        self.components = components
        self._caller = ProviderCaller(components)

    async def run(
        self,
        gw: RuntimeGateway,
        route: LinkedRoute,
        leaf: LeafSpec,
        ctx: RequestContext,
        body: dict[str, Any],
    ) -> LeafResult:
        """Call the leaf (with retries) and return its result, or raise the last error."""
        provider = route.providers.get(leaf.provider)
        if provider is None:
            raise RequestError(f"provider `{leaf.provider}` is not configured", code="unknown_provider")
        ctx.last_path, ctx.provider_id, ctx.provider_type = leaf.path, provider.spec.id, provider.spec.type
        breaker: CircuitBreaker | None = None
        if leaf.circuit_breaker is not None:
            key = f"{route.spec.id}:{leaf.path}:{provider.spec.id}"
            breaker = gw.breakers.get(key, leaf.circuit_breaker)
            if not breaker.allow():
                error = CircuitOpen(provider.spec.id, leaf.path)
                ctx.attempts.append({"path": leaf.path, "provider": provider.spec.id, "status": 503})
                raise error
        try:
            return await self._run(gw, route, leaf, provider, ctx, body, breaker)
        finally:
            if breaker is not None:
                breaker.release()

    async def _run(
        self,
        gw: RuntimeGateway,
        route: LinkedRoute,
        leaf: LeafSpec,
        provider: LinkedProvider,
        ctx: RequestContext,
        body: dict[str, Any],
        breaker: CircuitBreaker | None,
    ) -> LeafResult:
        body = build_body(body, leaf, provider)
        self._check_model(provider, ctx, body)
        body = await guard_input(self.components, leaf.input_guardrails, body, ctx)
        base_url = await self._base_url(gw, route, leaf, provider)
        cache_req, hit = await self._cache_lookup(route, leaf, ctx, body)
        if hit is not None:
            return hit
        held = await self._reserve(ctx, body)
        try:
            result = await self._caller.call(route, leaf, provider, ctx, body, base_url, breaker)
        except BaseException:
            await self._settle(held, None)
            raise
        if isinstance(result, StreamStart):
            result.request, result.reservation, result.limit_ctx = body, held[1], held[0]
            result.cache_request = cache_req
            result.buffered = route.spec.buffer_stream
            guardrails = ctx.guardrails or self.components.guardrails
            ids = _merged(route.output_guardrails, leaf.output_guardrails)
            if guardrails is not None and ids and route.spec.buffer_stream:
                result.check_output = functools.partial(
                    guard_output, self.components, ids, request=body, ctx=ctx
                )
            elif guardrails is not None and ids:
                result.filter = guardrails.stream_filter(ids, body, check_context(ctx))
            return result
        ctx.usage = result.usage
        ctx.cost_usd = await self._settle(held, result.usage)
        if held[1] is not None:  # settle replaced the hold with the actual cost
            ctx.budget_remaining_usd = held[1].remaining_usd
        if isinstance(result, ChatResult):
            await self._finish_output(route, leaf, ctx, body, result)
            cache = self.components.cache
            if cache_req is not None and cache is not None and ctx.status == 200:
                # Off the request path: the client gets its answer without waiting for the write.
                self.components.background.spawn(cache.store(cache_req, result.body), "gw-cache-store")
        return result

    async def _cache_lookup(
        self, route: LinkedRoute, leaf: LeafSpec, ctx: RequestContext, body: dict[str, Any]
    ) -> tuple[CacheRequest | None, LeafResult | None]:
        cache = self.components.cache
        if leaf.cache is None or cache is None or ctx.endpoint != "chat":
            return None, None
        request = cache_request(route, ctx, body, leaf.cache)
        rt = ctx.telemetry
        if rt is None:
            found = await cache.lookup(request)
        else:
            with rt.stage("cache"):  # a `gw.stage.cache` span when tracing is on
                found = await cache.lookup(request)
            rt.cache_checked(leaf.cache.mode, found.status)
        ctx.cache_status = found.status
        if found.response is None or found.status not in ("HIT", "SEMANTIC HIT"):
            return request, None
        ctx.cache_similarity = found.similarity
        self._count_hit(ctx, found.response)
        if ctx.stream:
            return request, _replay(found.response, body)
        return request, ChatResult(body=found.response, usage=Usage())

    def _count_hit(self, ctx: RequestContext, response: dict[str, Any]) -> None:  # Any: OpenAI JSON
        """A hit costs nothing; what the cached answer's usage would cost now is the saving."""
        ctx.usage, ctx.cost_usd = Usage(), 0.0
        prices = self.components.prices
        if prices is not None:
            ctx.saved_usd = prices(ctx.provider_type, ctx.model, usage_from(response))

    async def _reserve(
        self, ctx: RequestContext, body: dict[str, Any]
    ) -> tuple[LimitContext | None, Reservation | None]:
        limiter = self.components.limiter
        if limiter is None:
            return None, None
        limit_ctx = limit_context(ctx, body)
        reservation = await limiter.reserve(limit_ctx)
        ctx.budget_remaining_usd = reservation.remaining_usd
        if ctx.telemetry is not None and reservation.holds:
            decision = "alert" if reservation.alerts else "allow"
            ctx.telemetry.budget_checked(decision, reservation.remaining_usd)
        return limit_ctx, reservation

    async def _settle(
        self, held: tuple[LimitContext | None, Reservation | None], usage: Usage | None
    ) -> float | None:
        limiter = self.components.limiter
        limit_ctx, reservation = held
        if limiter is None or limit_ctx is None or reservation is None:
            return None
        return await limiter.settle(reservation, limit_ctx, usage)

    async def _finish_output(
        self,
        route: LinkedRoute,
        leaf: LeafSpec,
        ctx: RequestContext,
        body: dict[str, Any],
        result: ChatResult,
    ) -> None:
        ids = _merged(route.output_guardrails, leaf.output_guardrails)
        changed = await guard_output(self.components, ids, result.body, body, ctx)
        if changed is not None:
            result.body, result.raw = changed, None
        if ctx.status == 246:
            result.body = {**result.body, "hook_results": ctx.hook_results}
            result.raw = None

    def _check_model(self, provider: LinkedProvider, ctx: RequestContext, body: dict[str, Any]) -> None:
        model = body.get("model")
        ctx.model = model if isinstance(model, str) else ""
        allowed = provider.spec.models
        if allowed and ctx.model and ctx.model not in allowed:
            raise RequestError(
                f"model `{ctx.model[:100]}` is not offered by provider `{provider.spec.id}`",
                param="model",
                code="model_not_found",
            )
        key = ctx.key
        if key is not None and key.allowed_models and ctx.model not in key.allowed_models:
            raise PermissionDenied(f"key `{key.id}` may not use model `{ctx.model[:100]}`")

    async def _base_url(
        self, gw: RuntimeGateway, route: LinkedRoute, leaf: LeafSpec, provider: LinkedProvider
    ) -> str:
        host = leaf.custom_host
        if host is None:
            return provider.base_url
        if route.untrusted_hosts:
            await gw.host_guard.check(host)
        return host.rstrip("/")


def _replay(response: dict[str, Any], body: dict[str, Any]) -> StreamStart:  # Any: OpenAI JSON
    """A committed stream that replays a cached completion as chunks."""
    from gateway.cache import replay_as_chunks  # only reached with a cache configured

    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    payloads = [_ENCODER.encode(chunk) for chunk in replay_as_chunks(response, include_usage=include_usage)]
    stream = ReplayStream(payloads)
    return StreamStart(stream=stream, first=payloads[:1], rest=_rest(payloads[1:]), request=body)


async def _rest(payloads: list[bytes]) -> AsyncIterator[list[bytes]]:
    if payloads:
        yield payloads
