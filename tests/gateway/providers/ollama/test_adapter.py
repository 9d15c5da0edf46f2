"""OllamaAdapter over real loopback HTTP against the fake Ollama server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.base import ProviderCall
from gateway.providers.ollama.adapter import OllamaAdapter, api_url
from gateway.providers.transport import HttpTransport
from tests.fakes.ollama_upstream import FakeOllama, Reply, ToolCall


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOllama]:
    with FakeOllama("ollama") as fake:
        yield fake


@pytest.fixture
async def adapter(upstream: FakeOllama) -> AsyncIterator[OllamaAdapter]:
    upstream.reset()
    transport = HttpTransport()
    yield OllamaAdapter(None, transport)
    await transport.aclose()


def call(upstream: FakeOllama, body: dict[str, Any], **kw: Any) -> ProviderCall:
    return ProviderCall(provider_id="local", body=body, base_url=upstream.url, **kw)


HI = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}


def test_api_url_accepts_base_with_or_without_api() -> None:
    assert api_url("http://h:11434", "chat") == "http://h:11434/api/chat"
    assert api_url("http://h:11434/api/", "embed") == "http://h:11434/api/embed"


async def test_chat_needs_no_key_and_turns_streaming_off(
    adapter: OllamaAdapter, upstream: FakeOllama
) -> None:
    result = await adapter.chat(call(upstream, HI))
    assert result.body["choices"][0]["message"]["content"] == "hello from ollama"
    sent = upstream.requests[-1]
    assert sent.body["stream"] is False
    assert "authorization" not in {k.lower() for k in sent.headers}
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (26, 7)


async def test_tool_call_round_trip(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    upstream.script(Reply(text="", tool_calls=[ToolCall("", "get_weather", {"city": "Oslo"})]))
    first = await adapter.chat(call(upstream, HI))
    message = first.body["choices"][0]["message"]
    assert first.body["choices"][0]["finish_reason"] == "tool_calls"
    follow = [*HI["messages"], message, {"role": "tool", "tool_call_id": "call_0", "content": "-3C"}]
    await adapter.chat(call(upstream, {**HI, "messages": follow}))
    sent = upstream.requests[-1].body["messages"]
    assert sent[1]["tool_calls"] == [{"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]
    assert sent[2] == {"role": "tool", "content": "-3C", "tool_name": "get_weather"}


async def test_unknown_model_is_ollamas_404(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, {**HI, "model": "missing-model"}))
    assert info.value.status == 404 and "not found" in info.value.message


async def test_stream_reads_ndjson_into_chunks(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    upstream.script(Reply(text="Local models stream too."))
    stream = await adapter.chat_stream(
        call(upstream, {**HI, "stream": True, "stream_options": {"include_usage": True}})
    )
    chunks = [json.loads(c) async for c in stream]
    assert upstream.requests[-1].body["stream"] is True
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == (
        "Local models stream too."
    )
    assert chunks[-1]["usage"]["total_tokens"] == 33
    assert stream.usage is not None and stream.usage.completion_tokens == 7


async def test_error_line_after_output_breaks_the_stream(
    adapter: OllamaAdapter, upstream: FakeOllama
) -> None:
    upstream.script(
        Reply(
            text="partial answer", stream_error={"error": "an unexpected error occurred"}, chunk_delay_s=0.05
        )
    )
    stream = await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    with pytest.raises(StreamBroken, match="unexpected error"):
        [c async for c in stream]


async def test_stream_cut_before_done_breaks_it(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    upstream.script(Reply(text="a long answer cut in the middle", break_after=3))
    stream = await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    with pytest.raises(StreamBroken):
        [c async for c in stream]


async def test_stream_refused_raises_before_returning(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    upstream.script(Reply(status=500))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    assert info.value.status == 500


async def test_embeddings_batch_dimensions_and_usage(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    result = await adapter.embed(
        call(upstream, {"model": "nomic-embed-text", "input": ["ab", "abcd"], "dimensions": 2})
    )
    assert upstream.requests[-1].body == {
        "model": "nomic-embed-text",
        "input": ["ab", "abcd"],
        "dimensions": 2,
    }
    assert [d["embedding"] for d in result.body["data"]] == [[0.2, 0.3], [0.4, 0.5]]
    assert result.usage.prompt_tokens == 4 and result.body["usage"]["total_tokens"] == 4


async def test_embeddings_report_dropped_parameters(adapter: OllamaAdapter, upstream: FakeOllama) -> None:
    result = await adapter.embed(call(upstream, {"model": "nomic-embed-text", "input": "x", "user": "u"}))
    assert result.headers == {"x-gw-dropped-params": "user"}
