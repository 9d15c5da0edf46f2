"""Gemini SSE chunks → OpenAI chunks, from a recorded-realistic stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.gemini.stream import GeminiStreamTranslator

FIXTURES = Path(__file__).parent / "fixtures"


def payloads(name: str) -> list[bytes]:
    return [
        line[6:].encode() for line in (FIXTURES / name).read_text().splitlines() if line.startswith("data: ")
    ]


def translator(include_usage: bool = True) -> GeminiStreamTranslator:
    return GeminiStreamTranslator(
        model="m", created=1, include_usage=include_usage, strict=True, provider="gem"
    )


def test_text_then_function_call_stream_becomes_openai_chunks() -> None:
    t = translator()
    chunks = [c for p in payloads("stream_text_then_function_call.sse") for c in t.feed(p)] + t.finish()
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": "Let me look"}
    assert "".join(d.get("content", "") for d in deltas) == "Let me look that up."
    call = deltas[2]["tool_calls"][0]
    assert call["index"] == 0 and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == 32
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] == 20
    assert {c["id"] for c in chunks} == {"chatcmpl-streamResp1"}


def test_stream_without_finish_reason_is_broken() -> None:
    t = translator()
    t.feed(payloads("stream_text_then_function_call.sse")[0])
    with pytest.raises(StreamBroken):
        t.finish()


def test_error_before_output_is_an_upstream_error_with_its_code() -> None:
    with pytest.raises(UpstreamError) as info:
        translator().feed(
            b'{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}'
        )
    assert info.value.status == 503 and not isinstance(info.value, StreamBroken)


def test_error_after_output_keeps_its_code_for_the_stream_to_handle() -> None:
    t = translator()
    t.feed(payloads("stream_text_then_function_call.sse")[0])
    with pytest.raises(UpstreamError, match="overloaded") as info:
        t.feed(b'{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}')
    assert info.value.status == 503
