"""Anthropic stream events → OpenAI chunks, from recorded-realistic SSE fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.anthropic.stream import AnthropicStreamTranslator

FIXTURES = Path(__file__).parent / "fixtures"


def payloads(name: str) -> list[bytes]:
    """The `data:` payload of each event of an SSE fixture."""
    events = (FIXTURES / name).read_text().split("\n\n")
    out = []
    for event in events:
        data = [line[6:] for line in event.splitlines() if line.startswith("data: ")]
        if data:
            out.append("\n".join(data).encode())
    return out


def translate(
    name: str, *, include_usage: bool = True
) -> tuple[list[dict[str, Any]], AnthropicStreamTranslator]:
    translator = AnthropicStreamTranslator(
        created=1, include_usage=include_usage, strict=True, provider="claude"
    )
    chunks = [c for p in payloads(name) for c in translator.feed(p)]
    chunks += translator.finish()
    return chunks, translator


def test_text_and_tool_use_stream_becomes_openai_chunks() -> None:
    chunks, _ = translate("stream_text_and_tool_use.sse")
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    text = "".join(d.get("content") or "" for d in deltas)
    assert text == "Okay, let's check the weather for San Francisco, CA:"
    calls = [tc for d in deltas for tc in d.get("tool_calls", [])]
    assert calls[0] == {
        "index": 0,
        "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    arguments = "".join(tc["function"]["arguments"] for tc in calls)
    assert json.loads(arguments) == {"location": "San Francisco, CA"}
    assert all(
        c["object"] == "chat.completion.chunk" and c["id"] == "msg_014p7gG3wDgGV9EUtLvnow3U" for c in chunks
    )


def test_finish_reason_and_usage_arrive_at_the_end() -> None:
    chunks, translator = translate("stream_text_and_tool_use.sse")
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 572
    assert chunks[-1]["usage"]["prompt_tokens_details"]["cached_tokens"] == 100
    assert chunks[-1]["usage"]["completion_tokens"] == 89
    assert translator.usage is not None and translator.usage.cached_read_tokens == 100


def test_usage_chunk_only_when_the_client_asked() -> None:
    chunks, translator = translate("stream_text_and_tool_use.sse", include_usage=False)
    assert all(c["choices"] for c in chunks)
    assert translator.usage is not None and translator.usage.completion_tokens == 89


def test_error_event_after_output_keeps_anthropic_status_for_the_stream_to_handle() -> None:
    translator = AnthropicStreamTranslator(created=1, include_usage=False, strict=True, provider="claude")
    events = payloads("stream_overloaded_midway.sse")
    for payload in events[:-1]:
        translator.feed(payload)
    with pytest.raises(UpstreamError, match="Overloaded") as info:
        translator.feed(events[-1])
    assert info.value.status == 529


def test_error_event_before_output_is_an_upstream_error_with_anthropic_status() -> None:
    translator = AnthropicStreamTranslator(created=1, include_usage=False, strict=True, provider="claude")
    events = payloads("stream_overloaded_midway.sse")
    assert translator.feed(events[0]) == []  # message_start alone sends nothing yet
    with pytest.raises(UpstreamError) as info:
        translator.feed(events[-1])
    assert info.value.status == 529 and not isinstance(info.value, StreamBroken)


def test_stream_ending_without_message_stop_is_broken() -> None:
    translator = AnthropicStreamTranslator(created=1, include_usage=False, strict=True, provider="claude")
    for payload in payloads("stream_text_and_tool_use.sse")[:5]:
        translator.feed(payload)
    with pytest.raises(StreamBroken):
        translator.finish()
