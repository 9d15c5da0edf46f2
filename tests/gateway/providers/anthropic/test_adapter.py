"""AnthropicAdapter over real loopback HTTP against the fake Anthropic API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.errors import RequestError, StreamBroken, UpstreamError, UpstreamTimeout
from gateway.providers.anthropic.adapter import AnthropicAdapter, messages_url
from gateway.providers.base import ProviderCall
from gateway.providers.compliance import DROPPED_HEADER
from gateway.providers.transport import HttpTransport
from tests.fakes.anthropic_upstream import FakeAnthropic, Reply, ToolCall


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeAnthropic]:
    with FakeAnthropic("claude") as fake:
        yield fake


@pytest.fixture
async def adapter(upstream: FakeAnthropic) -> AsyncIterator[AnthropicAdapter]:
    upstream.reset()
    transport = HttpTransport()
    yield AnthropicAdapter(None, transport)
    await transport.aclose()


def call(upstream: FakeAnthropic, body: dict[str, Any], **kw: Any) -> ProviderCall:
    return ProviderCall(provider_id="claude", body=body, base_url=upstream.url, api_key="sk-ant-test", **kw)


HELLO = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}


async def collect(stream: Any) -> list[dict[str, Any]]:
    return [json.loads(c) async for c in stream]


def test_messages_url_accepts_base_with_or_without_v1() -> None:
    assert messages_url("https://api.anthropic.com/v1") == "https://api.anthropic.com/v1/messages"
    assert messages_url("https://api.anthropic.com/") == "https://api.anthropic.com/v1/messages"


async def test_chat_sends_anthropic_headers_and_default_max_tokens(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    result = await adapter.chat(call(upstream, HELLO))
    assert result.body["choices"][0]["message"]["content"] == "hello from claude"
    sent = upstream.requests[-1]
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in {k.lower() for k in sent.headers}
    assert sent.body["max_tokens"] == 4096
    assert result.usage.prompt_tokens == 12 and result.usage.completion_tokens == 6


async def test_tool_round_trip_passes_anthropic_validation(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(Reply(text="", tool_calls=[ToolCall("toolu_1", "get_weather", {"location": "Paris"})]))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    first = await adapter.chat(call(upstream, {**HELLO, "tools": tools}))
    message = first.body["choices"][0]["message"]
    assert first.body["choices"][0]["finish_reason"] == "tool_calls"
    assert message["content"] is None
    follow = [
        *HELLO["messages"],
        message,
        {"role": "tool", "tool_call_id": "toolu_1", "content": "15C"},
    ]
    second = await adapter.chat(call(upstream, {**HELLO, "messages": follow, "tools": tools}))
    assert second.body["choices"][0]["finish_reason"] == "stop"
    sent = upstream.requests[-1].body["messages"]
    assert sent[-1] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "15C"}],
    }


async def test_strict_route_reports_dropped_parameters_in_a_header(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    result = await adapter.chat(call(upstream, {**HELLO, "seed": 1, "presence_penalty": 0.5}))
    assert result.headers[DROPPED_HEADER] == "presence_penalty,seed"
    assert "seed" not in upstream.requests[-1].body


async def test_lenient_route_forwards_unknown_fields_and_anthropic_refuses_them(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, {**HELLO, "seed": 1}, strict_openai_compliance=False))
    assert info.value.status == 400
    assert "seed: Extra inputs are not permitted" in info.value.message
    ok = await adapter.chat(call(upstream, {**HELLO, "top_k": 3}, strict_openai_compliance=False))
    assert ok.status == 200 and upstream.requests[-1].body["top_k"] == 3


async def test_rate_limit_keeps_status_and_retry_after(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(
        Reply(status=429, headers={"retry-after": "7", "anthropic-ratelimit-requests-remaining": "0"})
    )
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HELLO))
    assert (info.value.status, info.value.type, info.value.retry_after_s) == (429, "rate_limit_error", 7.0)
    assert info.value.headers["x-ratelimit-remaining-requests"] == "0"


async def test_missing_key_is_the_providers_401(adapter: AnthropicAdapter, upstream: FakeAnthropic) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(ProviderCall(provider_id="claude", body=HELLO, base_url=upstream.url))
    assert (info.value.status, info.value.type) == (401, "authentication_error")


async def test_slow_upstream_times_out_as_408(adapter: AnthropicAdapter, upstream: FakeAnthropic) -> None:
    upstream.script(Reply(delay_s=1.0))
    with pytest.raises(UpstreamTimeout) as info:
        await adapter.chat(call(upstream, HELLO, timeout_s=0.1))
    assert info.value.status == 408


async def test_stream_yields_openai_chunks_and_usage(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(Reply(text="The sky is blue today."))
    body = {**HELLO, "stream": True, "stream_options": {"include_usage": True}}
    stream = await adapter.chat_stream(call(upstream, body))
    chunks = await collect(stream)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == (
        "The sky is blue today."
    )
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] == 18
    assert stream.usage is not None and stream.usage.completion_tokens == 6
    assert upstream.requests[-1].body["stream"] is True


async def test_stream_refused_before_first_byte_raises_upstream_error(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(Reply(status=529))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat_stream(call(upstream, {**HELLO, "stream": True}))
    assert info.value.status == 529


async def test_overloaded_event_before_output_fails_the_attempt_not_the_stream(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(Reply(text="", stream_error={"type": "overloaded_error", "message": "Overloaded"}))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat_stream(call(upstream, {**HELLO, "stream": True}))
    assert info.value.status == 529 and not isinstance(info.value, StreamBroken)


async def test_error_event_after_output_breaks_the_stream(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(
        Reply(
            text="partial answer",
            stream_error={"type": "api_error", "message": "Internal"},
            chunk_delay_s=0.05,
        )
    )
    stream = await adapter.chat_stream(call(upstream, {**HELLO, "stream": True}))
    with pytest.raises(StreamBroken, match="Internal"):
        await collect(stream)


async def test_dropped_connection_mid_stream_breaks_the_stream(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    upstream.script(Reply(text="a long answer that will not finish", break_after=5))
    stream = await adapter.chat_stream(call(upstream, {**HELLO, "stream": True}))
    with pytest.raises(StreamBroken):
        await collect(stream)


async def test_embeddings_are_refused_as_unsupported(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    with pytest.raises(RequestError):
        await adapter.embed(call(upstream, {"model": "claude", "input": "x"}))


async def test_count_tokens_sends_only_counted_fields(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    body = {
        **HELLO,
        "messages": [{"role": "system", "content": "Be kind."}, *HELLO["messages"]],
        "temperature": 0.5,
    }
    count = await adapter.count_tokens(call(upstream, body))
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages/count_tokens"
    assert set(sent.body) == {"model", "messages", "system"}
    assert count > 0


async def test_error_arriving_with_the_first_output_still_fails_the_attempt(
    adapter: AnthropicAdapter, upstream: FakeAnthropic
) -> None:
    # Text and error arrive in one network read: nothing reached the client yet, so the attempt fails
    # with Anthropic's status and the executor may retry or fall back.
    upstream.script(Reply(text="partial", stream_error={"type": "overloaded_error", "message": "Overloaded"}))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat_stream(call(upstream, {**HELLO, "stream": True}))
    assert info.value.status == 529 and not isinstance(info.value, StreamBroken)
