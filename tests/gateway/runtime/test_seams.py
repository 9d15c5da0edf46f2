"""The executor drives the optional components at the documented points (tiny in-test fakes, no ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from compiler.specs import CacheSpec, PolicySpec
from gateway.errors import AuthError, GuardrailDenied, LimitExceeded
from gateway.ports import (
    CacheLookup,
    CacheRequest,
    CheckContext,
    GuardrailOutcome,
    LimitContext,
    Reservation,
    StreamFilter,
    UsageRecord,
    VirtualKey,
)
from gateway.providers.base import ChatResult
from gateway.providers.transport import TransportPool
from gateway.runtime import (
    BreakerBoard,
    Components,
    Executor,
    RequestContext,
    RouteSelector,
    StreamStart,
    link_gateway,
    parse_headers,
    sse_events,
)
from gateway.usage import Usage
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import gateway, leaf, provider, route

BODY = {"model": "m", "messages": [{"role": "user", "content": "my email is a@b.c"}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI("seams") as fake:
        yield fake


@pytest.fixture(autouse=True)
def _reset(upstream: FakeOpenAI) -> None:
    upstream.reset()


@pytest.fixture
async def pool() -> AsyncIterator[TransportPool]:
    transports = TransportPool()
    yield transports
    await transports.aclose()


class Cache:
    def __init__(self, hit: dict[str, Any] | None = None) -> None:
        self.hit = hit
        self.stored: list[CacheRequest] = []
        self.responses: list[dict[str, Any]] = []

    async def lookup(self, request: CacheRequest) -> CacheLookup:
        return CacheLookup(status="HIT", response=self.hit) if self.hit else CacheLookup(status="MISS")

    async def store(self, request: CacheRequest, response: dict[str, Any]) -> None:
        self.stored.append(request)
        self.responses.append(response)


class Guards:
    def __init__(self, verdict: str = "pass", redact: bool = False) -> None:
        self.verdict = verdict
        self.redact = redact
        self.calls: list[str] = []

    async def check_input(
        self, ids: tuple[str, ...], body: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:
        self.calls.append("input:" + ",".join(ids))
        new = (
            {**body, "messages": [{"role": "user", "content": "my email is [EMAIL]"}]}
            if self.redact
            else None
        )
        return GuardrailOutcome(verdict=self.verdict, body=new, hook_results=[{"id": ids[0]}])  # type: ignore[arg-type]

    async def check_output(
        self, ids: tuple[str, ...], response: dict[str, Any], request: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:
        self.calls.append("output:" + ",".join(ids))
        return GuardrailOutcome()

    def stream_filter(
        self, ids: tuple[str, ...], request: dict[str, Any], ctx: CheckContext
    ) -> StreamFilter | None:
        return None


class Limits:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.events: list[str] = []

    async def admit_request(self, ctx: LimitContext) -> None:
        self.events.append("admit")
        if self.refuse:
            raise LimitExceeded("too many requests", code="rate_limited")

    async def reserve(self, ctx: LimitContext) -> Reservation:
        self.events.append(f"reserve:{ctx.provider_id}:{ctx.model}")
        return Reservation(id="r1", remaining_usd=4.5)

    async def settle(self, reservation: Reservation, ctx: LimitContext, usage: Usage | None) -> float | None:
        self.events.append(f"settle:{usage.total_tokens if usage else None}")
        return 0.01


class Keys:
    async def authenticate(self, token: str) -> VirtualKey:
        if token != "gw-good":
            raise AuthError("unknown gw key")
        return VirtualKey(id="k1", allowed_routes=("chat",))


class Sink:
    def __init__(self) -> None:
        self.rows: list[UsageRecord] = []

    def record(self, row: UsageRecord) -> None:
        self.rows.append(row)


async def _run(
    upstream: FakeOpenAI,
    pool: TransportPool,
    components: Components,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    **leaf_kw: Any,
) -> tuple[RequestContext, Any]:
    compiled = gateway(
        [provider("up", upstream.url)],
        [route("chat", leaf("config", "up", **leaf_kw), input_guardrails=("pii",))],
        PolicySpec(enforced_output_guardrails=("safety",)),
    )
    runtime = link_gateway(compiled, pool=pool, breakers=BreakerBoard(), env={})
    parsed = parse_headers({"x-portkey-config": "chat", **(headers or {})})
    request = dict(body or BODY)
    ctx = RequestContext(headers=parsed, params=request, stream=request.get("stream") is True)
    selected = RouteSelector(runtime, None, env={}).select(parsed)
    result = await Executor(components).run(runtime, selected, ctx, request)
    return ctx, result


async def test_no_components_means_cache_disabled(upstream: FakeOpenAI, pool: TransportPool) -> None:
    ctx, result = await _run(upstream, pool, Components(), cache=CacheSpec(mode="simple"))
    assert isinstance(result, ChatResult)
    assert ctx.response_headers()["x-portkey-cache-status"] == "DISABLED"


async def test_cache_hit_skips_the_upstream(upstream: FakeOpenAI, pool: TransportPool) -> None:
    cached = {"id": "cached", "object": "chat.completion", "choices": []}
    ctx, result = await _run(
        upstream, pool, Components(cache=Cache(hit=cached)), cache=CacheSpec(mode="simple")
    )
    assert result.body["id"] == "cached"
    assert ctx.cache_status == "HIT"
    assert upstream.requests == []


async def test_cache_miss_calls_and_stores(upstream: FakeOpenAI, pool: TransportPool) -> None:
    cache = Cache()
    components = Components(cache=cache)
    ctx, _ = await _run(upstream, pool, components, cache=CacheSpec(mode="simple", max_age_s=60))
    assert ctx.cache_status == "MISS"
    await components.background.drain()  # the store runs after the response
    assert len(cache.stored) == 1 and cache.stored[0].provider_id == "up"


async def test_input_deny_returns_446_before_any_call(upstream: FakeOpenAI, pool: TransportPool) -> None:
    with pytest.raises(GuardrailDenied) as info:
        await _run(upstream, pool, Components(guardrails=Guards("deny")))
    assert info.value.status == 446
    assert info.value.body()["hook_results"]["before_request_hooks"] == [{"id": "pii"}]
    assert upstream.requests == []


async def test_flag_returns_246_with_hook_results(upstream: FakeOpenAI, pool: TransportPool) -> None:
    ctx, result = await _run(upstream, pool, Components(guardrails=Guards("flag")))
    assert ctx.status == 246
    assert result.body["hook_results"]["before_request_hooks"] == [{"id": "pii"}]


async def test_redaction_changes_what_the_upstream_sees(upstream: FakeOpenAI, pool: TransportPool) -> None:
    guards = Guards(redact=True)
    await _run(upstream, pool, Components(guardrails=guards))
    assert upstream.requests[0].body["messages"][0]["content"] == "my email is [EMAIL]"
    assert guards.calls == ["input:pii", "output:safety"]  # policy's enforced guardrail added


async def test_limits_admit_reserve_and_settle_in_order(upstream: FakeOpenAI, pool: TransportPool) -> None:
    limits = Limits()
    ctx, _ = await _run(upstream, pool, Components(limiter=limits), overrides={"model": "gpt-x"})
    assert limits.events == ["admit", "reserve:up:gpt-x", "settle:9"]
    assert ctx.response_headers()["x-gw-budget-remaining"] == "4.500000"
    assert ctx.cost_usd == 0.01


async def test_rate_limit_refusal_is_a_429(upstream: FakeOpenAI, pool: TransportPool) -> None:
    with pytest.raises(LimitExceeded):
        await _run(upstream, pool, Components(limiter=Limits(refuse=True)))
    assert upstream.requests == []


async def test_key_store_authenticates_the_bearer(upstream: FakeOpenAI, pool: TransportPool) -> None:
    with pytest.raises(AuthError):
        await _run(upstream, pool, Components(keys=Keys()), headers={"authorization": "Bearer gw-bad"})
    ctx, _ = await _run(upstream, pool, Components(keys=Keys()), headers={"authorization": "Bearer gw-good"})
    assert ctx.key is not None and ctx.key.id == "k1"


async def test_usage_row_is_recorded_per_request(upstream: FakeOpenAI, pool: TransportPool) -> None:
    sink = Sink()
    await _run(upstream, pool, Components(usage=sink))
    (row,) = sink.rows
    assert (row.route_id, row.target_path, row.provider_id, row.status) == ("chat", "config", "up", 200)
    assert row.usage.total_tokens == 9


async def test_stream_usage_is_settled_and_recorded_at_the_end(
    upstream: FakeOpenAI, pool: TransportPool
) -> None:
    sink, limits = Sink(), Limits()
    ctx, start = await _run(
        upstream, pool, Components(usage=sink, limiter=limits), body={**BODY, "stream": True}
    )
    assert isinstance(start, StreamStart)
    assert sink.rows == []
    frames = [frame async for frame in sse_events(start, ctx, Components(usage=sink, limiter=limits))]
    assert frames[-1] == b"data: [DONE]\n\n"
    assert limits.events[-1] == "settle:9"
    assert sink.rows[0].usage.total_tokens == 9


async def test_provider_without_its_secret_answers_503_without_retrying(
    upstream: FakeOpenAI, pool: TransportPool
) -> None:
    from compiler.specs import RetrySpec, SecretRef
    from gateway.errors import UpstreamUnavailable

    compiled = gateway(
        [provider("up", upstream.url, api_key=SecretRef(env="GW_UNSET_KEY"))],
        [route("chat", leaf("config", "up", retry=RetrySpec(attempts=3)))],
    )
    runtime = link_gateway(compiled, pool=pool, breakers=BreakerBoard(), env={})
    parsed = parse_headers({"x-portkey-config": "chat"})
    ctx = RequestContext(headers=parsed, params=dict(BODY))
    with pytest.raises(UpstreamUnavailable) as info:
        await Executor().run(runtime, runtime.routes["chat"], ctx, dict(BODY))
    assert info.value.status == 503
    assert "GW_UNSET_KEY" in info.value.message
    assert len(ctx.attempts) == 1
    assert upstream.requests == []


class DenyAfterFirst:
    """A stream filter that lets the first chunk through and then denies."""

    def __init__(self) -> None:
        self.fed = 0

    def feed(self, chunk: dict[str, Any]) -> Any:
        from gateway.ports import StreamStep

        self.fed += 1
        if self.fed == 1:
            return StreamStep(emit=[chunk])
        return StreamStep(deny=GuardrailOutcome(verdict="deny", hook_results=[{"id": "safety"}]))

    def finish(self) -> Any:
        from gateway.ports import StreamStep

        return StreamStep(), GuardrailOutcome()


class StreamGuards(Guards):
    def stream_filter(
        self, ids: tuple[str, ...], request: dict[str, Any], ctx: CheckContext
    ) -> StreamFilter | None:
        return DenyAfterFirst()


async def test_stream_guardrail_deny_ends_with_a_446_event(upstream: FakeOpenAI, pool: TransportPool) -> None:
    components = Components(guardrails=StreamGuards())
    ctx, start = await _run(upstream, pool, components, body={**BODY, "stream": True})
    frames = [frame async for frame in sse_events(start, ctx, components)]
    assert len(frames) == 2
    assert b'"type":"hooks_failed"' in frames[-1]
    assert b"[DONE]" not in b"".join(frames)


async def test_stream_cache_hit_is_replayed_as_chunks(upstream: FakeOpenAI, pool: TransportPool) -> None:
    cached = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "from cache"}, "finish_reason": "stop"}
        ],
    }
    components = Components(cache=Cache(hit=cached))
    ctx, start = await _run(
        upstream, pool, components, body={**BODY, "stream": True}, cache=CacheSpec(mode="simple")
    )
    frames = b"".join([frame async for frame in sse_events(start, ctx, components)])
    assert b'"content":"from cache"' in frames
    assert frames.endswith(b"data: [DONE]\n\n")
    assert ctx.cache_status == "HIT"
    assert upstream.requests == []


async def test_completed_stream_is_assembled_and_stored(upstream: FakeOpenAI, pool: TransportPool) -> None:
    cache = Cache()
    components = Components(cache=cache)
    ctx, start = await _run(
        upstream, pool, components, body={**BODY, "stream": True}, cache=CacheSpec(mode="simple")
    )
    assert ctx.cache_status == "MISS"
    [frame async for frame in sse_events(start, ctx, components)]
    await components.background.drain()  # the store runs after the response
    assert len(cache.stored) == 1
    assert cache.responses[0]["choices"][0]["message"]["content"] == "hello from seams"


class OutputDenyGuards(Guards):
    async def check_output(
        self, ids: tuple[str, ...], response: dict[str, Any], request: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:
        self.calls.append("output:" + response["choices"][0]["message"]["content"])
        return GuardrailOutcome(verdict="deny", hook_results=[{"id": ids[0]}])


async def test_buffered_stream_sends_nothing_before_a_deny(upstream: FakeOpenAI, pool: TransportPool) -> None:
    """A buffered stream is checked as a whole (assembled, like a complete response)."""
    guards = OutputDenyGuards()
    components = Components(guardrails=guards)
    compiled = gateway(
        [provider("up", upstream.url)],
        [route("chat", leaf("config", "up"), buffer_stream=True, output_guardrails=("safety",))],
    )
    runtime = link_gateway(compiled, pool=pool, breakers=BreakerBoard(), env={})
    parsed = parse_headers({"x-portkey-config": "chat"})
    body = {**BODY, "stream": True}
    ctx = RequestContext(headers=parsed, params=body, stream=True)
    start = await Executor(components).run(runtime, runtime.routes["chat"], ctx, body)
    frames = [frame async for frame in sse_events(start, ctx, components)]
    assert len(frames) == 1
    assert frames[0].startswith(b'data: {"error"')
    assert guards.calls == ["output:hello from seams"]
