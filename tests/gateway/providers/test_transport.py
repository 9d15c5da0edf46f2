"""The shared upstream transport: pooled calls, SSE reading, error mapping."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

from gateway.errors import StreamBroken, UpstreamTimeout, UpstreamUnavailable
from gateway.providers.transport import HttpTransport, iter_sse_batches, iter_sse_data, retry_after_seconds
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.services import free_port


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI("transport") as fake:
        yield fake


@pytest.fixture(autouse=True)
def _reset(upstream: FakeOpenAI) -> None:
    upstream.reset()


def _body(stream: bool = False) -> bytes:
    return msgspec.json.encode(
        {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    )


async def test_send_returns_error_statuses_without_raising(upstream: FakeOpenAI) -> None:
    upstream.script(Reply(status=503))
    transport = HttpTransport()
    try:
        reply = await transport.send(
            upstream.url + "/chat/completions",
            _body(),
            {"content-type": "application/json"},
            timeout_s=5,
            provider="p",
        )
    finally:
        await transport.aclose()
    assert reply.status == 503
    assert not reply.ok
    assert msgspec.json.decode(reply.body)["error"]["message"] == "fake upstream error 503"


async def test_slow_upstream_maps_to_timeout_with_portkey_message(upstream: FakeOpenAI) -> None:
    upstream.script(Reply(delay_s=1.0))
    transport = HttpTransport()
    try:
        with pytest.raises(UpstreamTimeout) as info:
            await transport.send(upstream.url + "/chat/completions", _body(), {}, timeout_s=0.1, provider="p")
    finally:
        await transport.aclose()
    assert info.value.status == 408
    assert info.value.message == "Request exceeded the timeout sent in the request: 100ms"


async def test_refused_connection_maps_to_unavailable() -> None:
    transport = HttpTransport()
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await transport.send(f"http://127.0.0.1:{free_port()}/v1/x", b"{}", {}, timeout_s=2, provider="p")
    finally:
        await transport.aclose()
    assert info.value.status == 502


async def test_sse_yields_each_data_payload_until_done(upstream: FakeOpenAI) -> None:
    transport = HttpTransport()
    try:
        stream = await transport.open_stream(
            upstream.url + "/chat/completions", _body(True), {}, timeout_s=5, provider="p"
        )
        payloads = [msgspec.json.decode(p) async for p in iter_sse_data(stream)]
    finally:
        await transport.aclose()
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in payloads)
    assert text == "hello from transport"


async def test_stream_dropped_midway_raises_stream_broken(upstream: FakeOpenAI) -> None:
    upstream.script(Reply(break_after=2))
    transport = HttpTransport()
    seen: list[bytes] = []
    try:
        stream = await transport.open_stream(
            upstream.url + "/chat/completions", _body(True), {}, timeout_s=5, provider="p"
        )
        with pytest.raises(StreamBroken):
            async for payload in iter_sse_data(stream):
                seen.append(payload)
    finally:
        await transport.aclose()
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ms-retry-after-ms": "200"}, 0.2),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_every_header_form(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_accepts_http_dates() -> None:
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, now=4.0) == 6.0


async def test_stalled_stream_raises_stream_broken(upstream: FakeOpenAI) -> None:
    upstream.script(Reply(chunk_delay_s=1.0))
    transport = HttpTransport()
    try:
        stream = await transport.open_stream(
            upstream.url + "/chat/completions", _body(True), {}, timeout_s=5, provider="p", idle_timeout_s=0.2
        )
        with pytest.raises(StreamBroken):
            async for _ in iter_sse_data(stream):
                pass
    finally:
        await transport.aclose()


async def test_batches_carry_every_event_once(upstream: FakeOpenAI) -> None:
    transport = HttpTransport()
    try:
        stream = await transport.open_stream(
            upstream.url + "/chat/completions", _body(True), {}, timeout_s=5, provider="p"
        )
        batches = [batch async for batch in iter_sse_batches(stream)]
    finally:
        await transport.aclose()
    assert sum(len(b) for b in batches) == 5  # role, 3 words, finish


def test_events_read_together_form_one_batch_and_partial_events_wait() -> None:
    from gateway.providers.transport import _split_events

    parts: list[bytes] = []
    events, rest, done = _split_events(b'data: {"a":1}\n\ndata: {"b":2}\r\n\r\ndata: {"c"', parts)
    assert events == [b'{"a":1}', b'{"b":2}'] and not done
    events, rest, done = _split_events(rest + b":3}\n\n: comment\n\ndata: [DONE]\n\n", parts)
    assert events == [b'{"c":3}'] and done


def test_transport_pool_is_bounded() -> None:
    from gateway.providers.transport import TransportPool

    pool = TransportPool(max_transports=2)
    first, second = pool.get("a"), pool.get("b")
    assert pool.get("a") is first and first is not second
    assert pool.get("c") is pool.get("d")  # past the bound, one shared transport
