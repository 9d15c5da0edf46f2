"""Calling one leaf: breaker, request body, custom host, cache, budget, retries and timeouts.

Streams are peeked here: the first chunk is read inside the retry loop, so a stream that fails
before its first byte is retried or failed over like any other error; only then is it committed.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from compiler.specs import LeafSpec
from gateway.errors import (
    PermissionDenied,
    RequestError,
    StreamBroken,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.ports import CacheRequest, LimitContext, Reservation, StreamFilter
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.runtime.backoff import retry_wait_s
from gateway.runtime.breaker import CircuitBreaker
from gateway.runtime.context import RequestContext
from gateway.runtime.headers import NEVER_FORWARDED
from gateway.runtime.linked import LinkedProvider, LinkedRoute, RuntimeGateway
from gateway.runtime.stages import (
    Components,
    cache_request,
    check_context,
    guard_input,
    guard_output,
    limit_context,
)
from gateway.usage import Usage

__all__ = ["CircuitOpen", "LeafResult", "LeafRunner", "StreamStart"]


class CircuitOpen(UpstreamUnavailable):
    """The target's circuit breaker is open: the target is skipped without a call."""

    def __init__(self, provider: str, path: str) -> None:
        super().__init__(f"circuit breaker open for {path} ({provider})", provider=provider, status=503)
        self.code = "circuit_open"


@dataclass(slots=True)
class StreamStart:
    """A committed stream: its first chunk already read, the rest still upstream."""

    stream: ChatStream
    first: list[bytes]
    """The first chunk payloads (those that arrived together with the first one)."""
    rest: AsyncIterator[list[bytes]]
    request: dict[str, Any] = field(default_factory=dict)  # Any: OpenAI request JSON as sent
    filter: StreamFilter | None = None
    reservation: Reservation | None = None
    limit_ctx: LimitContext | None = None


LeafResult = ChatResult | EmbeddingResult | StreamStart


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
            result = await self._with_retries(route, leaf, provider, ctx, body, base_url, breaker)
        except BaseException:
            await self._settle(held, None)
            raise
        if isinstance(result, StreamStart):
            result.request, result.reservation, result.limit_ctx = body, held[1], held[0]
            guardrails = self.components.guardrails
            ids = _merged(route.output_guardrails, leaf.output_guardrails)
            if guardrails is not None and ids:
                result.filter = guardrails.stream_filter(ids, body, check_context(ctx))
            return result
        ctx.usage = result.usage
        ctx.cost_usd = await self._settle(held, result.usage)
        if isinstance(result, ChatResult):
            await self._finish_output(route, leaf, ctx, body, result)
            if cache_req is not None and self.components.cache is not None and ctx.status == 200:
                await self.components.cache.store(cache_req, result.body)
        return result

    async def _cache_lookup(
        self, route: LinkedRoute, leaf: LeafSpec, ctx: RequestContext, body: dict[str, Any]
    ) -> tuple[CacheRequest | None, ChatResult | None]:
        cache = self.components.cache
        if leaf.cache is None or cache is None:
            return None, None
        if ctx.stream or ctx.endpoint != "chat":
            ctx.cache_status = "MISS"
            return None, None
        request = cache_request(route, ctx, body, leaf.cache)
        found = await cache.lookup(request)
        ctx.cache_status = found.status
        if found.response is not None and found.status in ("HIT", "SEMANTIC HIT"):
            return request, ChatResult(body=found.response, usage=Usage())
        return request, None

    async def _reserve(
        self, ctx: RequestContext, body: dict[str, Any]
    ) -> tuple[LimitContext | None, Reservation | None]:
        limiter = self.components.limiter
        if limiter is None:
            return None, None
        limit_ctx = limit_context(ctx, body)
        reservation = await limiter.reserve(limit_ctx)
        ctx.budget_remaining_usd = reservation.remaining_usd
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

    def _call(
        self,
        leaf: LeafSpec,
        provider: LinkedProvider,
        ctx: RequestContext,
        body: dict[str, Any],
        base_url: str,
        timeout_s: float,
    ) -> ProviderCall:
        headers = dict(provider.headers)
        raw = ctx.headers.raw
        for name in (*leaf.forward_headers, *ctx.headers.forward_headers):
            value = raw.get(name.lower())
            if value is not None and name.lower() not in NEVER_FORWARDED:
                headers[name.lower()] = value
        strict = ctx.headers.strict_openai_compliance
        return ProviderCall(
            provider_id=provider.spec.id,
            body=body,
            base_url=base_url,
            api_key=provider.api_key,
            headers=headers,
            timeout_s=timeout_s,
            api_version=provider.spec.api_version,
            deployments=dict(provider.spec.deployments),
            strict_openai_compliance=leaf.strict_openai_compliance if strict is None else strict,
            trace_id=ctx.trace_id,
        )

    def _timeout_s(
        self, route_default_ms: int, leaf: LeafSpec, provider: LinkedProvider, ctx: RequestContext
    ) -> float:
        ms = (
            ctx.headers.request_timeout_ms
            or leaf.request_timeout_ms
            or provider.spec.timeout_ms
            or route_default_ms
        )
        remaining = ctx.remaining_s()
        if remaining <= 0:
            raise UpstreamTimeout("Request exceeded its overall deadline", provider=provider.spec.id)
        return min(ms / 1000.0, remaining)

    async def _with_retries(
        self,
        route: LinkedRoute,
        leaf: LeafSpec,
        provider: LinkedProvider,
        ctx: RequestContext,
        body: dict[str, Any],
        base_url: str,
        breaker: CircuitBreaker | None,
    ) -> LeafResult:
        retry = leaf.retry
        attempt = 0
        while True:
            timeout_s = self._timeout_s(route.default_timeout_ms, leaf, provider, ctx)
            try:
                result = await self._attempt(
                    provider, ctx, self._call(leaf, provider, ctx, body, base_url, timeout_s)
                )
            except UpstreamError as exc:
                ctx.attempts.append({"path": leaf.path, "provider": provider.spec.id, "status": exc.status})
                if breaker is not None:
                    breaker.record(exc.status)
                wait = self._retry_wait(leaf, attempt, exc, ctx, breaker)
                if wait is None:
                    ctx.retry_count = -1 if retry.attempts > 0 else 0
                    raise
                await self.components.sleep(wait)
                attempt += 1
                continue
            if breaker is not None:
                breaker.record(200)
            ctx.retry_count = attempt
            return result

    def _retry_wait(
        self,
        leaf: LeafSpec,
        attempt: int,
        exc: UpstreamError,
        ctx: RequestContext,
        breaker: CircuitBreaker | None,
    ) -> float | None:
        retry = leaf.retry
        if attempt >= retry.attempts or exc.status not in retry.on_status_codes:
            return None
        if exc.code == "provider_unavailable":  # retrying cannot help: fail over at once
            return None
        if breaker is not None and (breaker.state != "closed"):
            return None
        wait = retry_wait_s(retry, attempt, exc.retry_after_s, rng=self.components.rng)
        if wait is None or wait >= ctx.remaining_s():
            return None
        return wait

    async def _attempt(self, provider: LinkedProvider, ctx: RequestContext, call: ProviderCall) -> LeafResult:
        adapter = provider.adapter
        if ctx.endpoint == "embeddings":
            return await adapter.embed(call)
        if ctx.endpoint == "completions":
            return await _legacy_completion(provider, ctx, call)
        if ctx.stream:
            return await _peek(await adapter.chat_stream(call), call)
        return await adapter.chat(call)


async def _legacy_completion(provider: LinkedProvider, ctx: RequestContext, call: ProviderCall) -> LeafResult:
    """`/v1/completions`: only adapters that offer `complete`/`complete_stream` (the OpenAI family)."""
    name = "complete_stream" if ctx.stream else "complete"
    method = getattr(provider.adapter, name, None)
    if method is None:
        raise RequestError(
            f"provider `{provider.spec.id}` ({provider.spec.type}) does not support /v1/completions",
            code="unsupported_endpoint",
        )
    result = await method(call)
    if ctx.stream:
        return await _peek(result, call)
    assert isinstance(result, ChatResult)
    return result


async def _singles(stream: ChatStream) -> AsyncIterator[list[bytes]]:
    async for payload in stream:
        yield [payload]


def _batches(stream: ChatStream) -> AsyncIterator[list[bytes]]:
    """Payloads grouped by arrival when the adapter offers it (`batches()`), else one by one."""
    batches = getattr(stream, "batches", None)
    if batches is not None:
        grouped: AsyncIterator[list[bytes]] = batches()
        return grouped
    return _singles(stream)


async def _peek(stream: ChatStream, call: ProviderCall) -> StreamStart:
    rest = _batches(stream)
    try:
        async with asyncio.timeout(call.timeout_s):
            first = await anext(rest)
    except StopAsyncIteration:
        await stream.aclose()
        raise UpstreamUnavailable(
            "upstream stream ended before any chunk", provider=call.provider_id
        ) from None
    except TimeoutError:
        await stream.aclose()
        ms = round(call.timeout_s * 1000)
        raise UpstreamTimeout(
            f"Request exceeded the timeout sent in the request: {ms}ms", provider=call.provider_id
        ) from None
    except StreamBroken as exc:
        await stream.aclose()
        raise UpstreamUnavailable(exc.message, provider=call.provider_id) from None
    return StreamStart(stream=stream, first=first, rest=rest)
