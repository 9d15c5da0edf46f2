"""GeminiAdapter over real loopback HTTP against the fake Gemini API."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.base import ProviderCall
from gateway.providers.gemini.adapter import GeminiAdapter
from gateway.providers.transport import HttpTransport
from tests.fakes.gemini_upstream import FakeGemini, Reply, ToolCall


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeGemini]:
    with FakeGemini("gemini") as fake:
        yield fake


@pytest.fixture
async def adapter(upstream: FakeGemini) -> AsyncIterator[GeminiAdapter]:
    upstream.reset()
    transport = HttpTransport()
    yield GeminiAdapter(None, transport)
    await transport.aclose()


def call(upstream: FakeGemini, body: dict[str, Any], **kw: Any) -> ProviderCall:
    kw.setdefault("api_key", "AIza-test")
    return ProviderCall(provider_id="gem", body=body, base_url=upstream.url, **kw)


HI = {
    "model": "gemini-2.5-flash",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
}


async def test_chat_uses_header_key_and_system_instruction(
    adapter: GeminiAdapter, upstream: FakeGemini
) -> None:
    result = await adapter.chat(call(upstream, HI))
    assert result.body["choices"][0]["message"]["content"] == "hello from gemini"
    sent = upstream.requests[-1]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "AIza-test"
    assert "key" not in sent.query
    assert sent.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert result.usage.prompt_tokens == 9 and result.usage.completion_tokens == 5


async def test_function_call_round_trip_is_accepted(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(text="", tool_calls=[ToolCall("", "get_weather", {"city": "Paris"})]))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    first = await adapter.chat(call(upstream, {**HI, "tools": tools}))
    message = first.body["choices"][0]["message"]
    assert first.body["choices"][0]["finish_reason"] == "tool_calls"
    tool_reply = {"role": "tool", "tool_call_id": message["tool_calls"][0]["id"], "content": '{"temp": 15}'}
    second = await adapter.chat(
        call(upstream, {**HI, "messages": [*HI["messages"], message, tool_reply], "tools": tools})
    )
    assert second.body["choices"][0]["finish_reason"] == "stop"
    last = upstream.requests[-1].body["contents"][-1]
    assert last == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 15}}}],
    }


async def test_safety_block_arrives_as_content_filter(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(text="", finish="SAFETY"))
    result = await adapter.chat(call(upstream, HI))
    assert result.body["choices"][0]["finish_reason"] == "content_filter"


async def test_bad_key_is_googles_400(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI, api_key="bad-key"))
    assert info.value.status == 400 and "API key not valid" in info.value.message


async def test_lenient_unknown_field_is_refused_by_gemini_itself(
    adapter: GeminiAdapter, upstream: FakeGemini
) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, {**HI, "seed_typo": 1}, strict_openai_compliance=False))
    assert info.value.status == 400 and "Unknown name" in info.value.message


async def test_quota_error_keeps_429_and_retry_after(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(status=429, headers={"retry-after": "3"}))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI))
    assert (info.value.status, info.value.type, info.value.retry_after_s) == (429, "rate_limit_error", 3.0)


async def test_stream_uses_alt_sse_and_yields_chunks(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(text="Streaming from Gemini works."))
    body = {**HI, "stream": True, "stream_options": {"include_usage": True}}
    stream = await adapter.chat_stream(call(upstream, body))
    chunks = [json.loads(c) async for c in stream]
    assert upstream.requests[-1].query == {"alt": "sse"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Streaming from Gemini works."
    assert chunks[-1]["usage"]["total_tokens"] == 14
    assert stream.usage is not None and stream.usage.completion_tokens == 5


async def test_stream_refused_before_first_byte_raises(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(status=503))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    assert info.value.status == 503


async def test_stream_error_event_after_output_breaks_it(
    adapter: GeminiAdapter, upstream: FakeGemini
) -> None:
    error = {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}
    upstream.script(Reply(text="a long enough answer", stream_error=error, chunk_delay_s=0.05))
    stream = await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    with pytest.raises(StreamBroken, match="Internal error"):
        [c async for c in stream]


async def test_dropped_stream_breaks_it(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    upstream.script(Reply(text="a long enough answer to be cut", break_after=2))
    stream = await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    with pytest.raises(StreamBroken):
        [c async for c in stream]


async def test_embeddings_batch_with_dimensions(adapter: GeminiAdapter, upstream: FakeGemini) -> None:
    body = {"model": "text-embedding-004", "input": ["one", "three"], "dimensions": 3}
    result = await adapter.embed(call(upstream, body))
    assert upstream.requests[-1].path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    data = result.body["data"]
    assert [d["index"] for d in data] == [0, 1]
    assert data[0]["embedding"] == [0.03, 0.04, 0.05]
    assert result.body["object"] == "list" and result.body["model"] == "text-embedding-004"


async def test_embeddings_base64_is_little_endian_float32(
    adapter: GeminiAdapter, upstream: FakeGemini
) -> None:
    body = {"model": "text-embedding-004", "input": "one", "dimensions": 2, "encoding_format": "base64"}
    result = await adapter.embed(call(upstream, body))
    raw = base64.b64decode(result.body["data"][0]["embedding"])
    assert struct.unpack("<2f", raw) == pytest.approx((0.03, 0.04))
