"""The calling steps adapters share: JSON over the pooled transport, refusals as the provider's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest

from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.providers.base import ProviderCall
from gateway.providers.exchange import Exchange, decode_reply, json_headers
from gateway.providers.transport import HttpTransport, UpstreamReply
from tests.fakes.openai_upstream import FakeOpenAI, Reply


class Point(msgspec.Struct):
    x: int


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI("exchange") as fake:
        yield fake


def _call(upstream: FakeOpenAI, headers: dict[str, str] | None = None) -> ProviderCall:
    return ProviderCall(
        provider_id="p", body={}, base_url=upstream.url, api_key="sk-test", headers=headers or {}
    )


def _error(call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
    detail = msgspec.json.decode(reply.body)["error"]["message"] if reply.body else "empty"
    return UpstreamError(f"test error: {detail}", status=reply.status, provider=call.provider_id)


@pytest.fixture
async def exchange(upstream: FakeOpenAI) -> AsyncIterator[Exchange]:
    upstream.reset()
    transport = HttpTransport()
    try:
        yield Exchange(transport, headers=lambda call: json_headers(call, "x-key"), error=_error)
    finally:
        await transport.aclose()


HELLO = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
CHAT = "/chat/completions"


async def test_send_posts_json_with_the_adapters_headers(exchange: Exchange, upstream: FakeOpenAI) -> None:
    reply = await exchange.send(_call(upstream), upstream.url + CHAT, HELLO)
    assert reply.ok
    sent = upstream.requests[-1]
    assert sent.body == HELLO
    assert sent.headers["x-key"] == "sk-test"
    assert sent.headers["content-type"] == "application/json"


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_refusal_becomes_the_providers_error_built_from_its_body(
    exchange: Exchange, upstream: FakeOpenAI, streamed: bool
) -> None:
    upstream.script(Reply(status=429))
    call, url = _call(upstream), upstream.url + CHAT
    with pytest.raises(UpstreamError) as info:
        if streamed:
            await exchange.open_stream(call, url, {**HELLO, "stream": True})
        else:
            await exchange.send(call, url, HELLO)
    assert (info.value.status, info.value.message) == (429, "test error: fake upstream error 429")


async def test_stream_headers_are_set_over_the_adapters_own(exchange: Exchange, upstream: FakeOpenAI) -> None:
    call = _call(upstream, headers={"accept": "application/json"})
    accept = {"accept": "text/event-stream"}
    stream = await exchange.open_stream(call, upstream.url + CHAT, {**HELLO, "stream": True}, headers=accept)
    await stream.aclose()
    assert upstream.requests[-1].headers["accept"] == "text/event-stream"


def _reply(body: bytes) -> UpstreamReply:
    return UpstreamReply(status=200, headers={}, body=body)


def test_decode_reply_reads_the_wire_struct() -> None:
    assert decode_reply(
        msgspec.json.Decoder(Point), _reply(b'{"x": 1}'), provider="p", unreadable="bad"
    ) == Point(x=1)


def test_a_body_that_is_not_json_is_unavailable_never_a_crash() -> None:
    with pytest.raises(UpstreamUnavailable) as info:
        decode_reply(msgspec.json.Decoder(Point), _reply(b"<html>"), provider="p", unreadable="p sent junk")
    assert info.value.message == "p sent junk"
    assert info.value.provider == "p"


def test_json_of_the_wrong_shape_says_what_did_not_match_when_asked() -> None:
    decoder = msgspec.json.Decoder(Point)
    with pytest.raises(UpstreamUnavailable) as plain:
        decode_reply(decoder, _reply(b'{"x": "one"}'), provider="p", unreadable="p sent junk")
    assert plain.value.message == "p sent junk"
    with pytest.raises(UpstreamUnavailable) as told:
        decode_reply(
            decoder, _reply(b'{"x": "one"}'), provider="p", unreadable="junk", unexpected="p sent a surprise"
        )
    assert told.value.message.startswith("p sent a surprise: Expected `int`")


def test_json_headers_put_the_key_under_the_providers_header_and_keep_json_content_type() -> None:
    call = ProviderCall(
        provider_id="p",
        body={},
        base_url="http://x",
        api_key="k",
        headers={"content-type": "text/plain", "x-a": "1"},
    )
    assert json_headers(call, "authorization", scheme="Bearer ") == {
        "content-type": "application/json",
        "x-a": "1",
        "authorization": "Bearer k",
    }
    keyless = ProviderCall(provider_id="p", body={}, base_url="http://x")
    assert json_headers(keyless, "api-key") == {"content-type": "application/json"}
