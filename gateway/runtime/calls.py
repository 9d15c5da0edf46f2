"""One leaf's provider calls: per-attempt timeouts inside the deadline, retries with backoff, peeking.

Streams are peeked here: the first chunk is read inside the retry loop, so a stream that fails
before its first byte is retried or failed over like any other error; only then is it committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from compiler.specs import LeafSpec
from gateway.errors import RequestError, StreamBroken, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from gateway.providers.base import ChatResult, ChatStream, ProviderCall
from gateway.runtime.backoff import retry_wait_s
from gateway.runtime.breaker import CircuitBreaker
from gateway.runtime.context import RequestContext
from gateway.runtime.headers import NEVER_FORWARDED
from gateway.runtime.linked import LinkedProvider, LinkedRoute
from gateway.runtime.outcomes import LeafResult, StreamStart
from gateway.runtime.stages import Components

__all__ = ["ProviderCaller"]


class ProviderCaller:
    """Calls a leaf's provider, retrying per the leaf's policy, and records each attempt."""

    def __init__(self, components: Components) -> None:
        self.components = components

    async def call(
        self,
        route: LinkedRoute,
        leaf: LeafSpec,
        provider: LinkedProvider,
        ctx: RequestContext,
        body: dict[str, Any],
        base_url: str,
        breaker: CircuitBreaker | None,
    ) -> LeafResult:
        """Call until success or until no retry is allowed; raise the last error."""
        retry = leaf.retry
        attempt = 0
        while True:
            timeout_s = self._timeout_s(route.default_timeout_ms, leaf, provider, ctx)
            call = self._call(leaf, provider, ctx, body, base_url, timeout_s)
            rt = ctx.telemetry
            if rt is not None:
                rt.attempt_started(
                    path=leaf.path,
                    provider=provider.spec.id,
                    provider_type=provider.spec.type,
                    model=ctx.model or None,
                    source=str(leaf.source),
                    headers=call.headers,
                )
            try:
                result = await self._attempt(provider, ctx, call)
            except UpstreamError as exc:
                if rt is not None:
                    rt.attempt_finished(status=exc.status, error=exc.type)
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
            if rt is not None:
                rt.attempt_finished(
                    status=200, usage=None if isinstance(result, StreamStart) else result.usage
                )
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
