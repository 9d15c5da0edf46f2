"""Extended thinking across the OpenAI format: Anthropic answer → OpenAI message → front-door message."""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.providers.anthropic.inbound import message_from_completion
from gateway.providers.anthropic.inbound_stream import AnthropicEventStream
from gateway.providers.anthropic.response import chat_completion
from gateway.providers.anthropic.stream import AnthropicStreamTranslator
from gateway.providers.anthropic.wire import MessagesResponse
from gateway.usage import Usage
from tests.gateway.providers.anthropic.test_stream import payloads

SIGNED = {"type": "thinking", "thinking": "Paris is the capital.", "signature": "EqoBCkgIARAB"}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3p"}


def _anthropic_answer() -> MessagesResponse:
    raw: dict[str, Any] = {  # Any: Anthropic message JSON
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [SIGNED, REDACTED, {"type": "text", "text": "Paris."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 20},
    }
    return msgspec.convert(raw, MessagesResponse)


def test_lenient_answer_keeps_signed_thinking_blocks_and_reasoning_content() -> None:
    body, _ = chat_completion(_anthropic_answer(), created=0, strict=False)
    message = body["choices"][0]["message"]
    assert message["content"] == "Paris."
    assert message["reasoning_content"] == "Paris is the capital."
    assert message["thinking_blocks"] == [SIGNED, REDACTED]


def test_strict_answer_has_openais_shape_only() -> None:
    body, _ = chat_completion(_anthropic_answer(), created=0, strict=True)
    assert set(body["choices"][0]["message"]) == {"role", "content"}


def test_front_door_puts_thinking_blocks_before_the_text_with_signatures_intact() -> None:
    body, usage = chat_completion(_anthropic_answer(), created=0, strict=False)
    message = message_from_completion(body, usage)
    assert message["content"] == [SIGNED, REDACTED, {"type": "text", "text": "Paris."}]


def test_front_door_ignores_reasoning_without_thinking_blocks() -> None:
    completion = {
        "id": "c1",
        "model": "deepseek-reasoner",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"content": "4", "reasoning_content": "2+2"}}
        ],
    }
    message = message_from_completion(completion, Usage())
    assert message["content"] == [{"type": "text", "text": "4"}]


def _stream_chunks(strict: bool) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
    translator = AnthropicStreamTranslator(created=1, include_usage=False, strict=strict, provider="claude")
    chunks = [c for p in payloads("stream_thinking.sse") for c in translator.feed(p)]
    return chunks + translator.finish()


def test_lenient_stream_carries_thinking_and_its_signature_in_deltas() -> None:
    deltas = [c["choices"][0]["delta"] for c in _stream_chunks(strict=False)]
    blocks = [b for d in deltas for b in d.get("thinking_blocks", ())]
    assert blocks == [
        {"type": "thinking", "thinking": "The user wants "},
        {"type": "thinking", "thinking": "the weather."},
        {"type": "thinking", "thinking": "", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
    ]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "The user wants the weather."


def test_strict_stream_has_no_thinking() -> None:
    deltas = [c["choices"][0]["delta"] for c in _stream_chunks(strict=True)]
    assert not any("thinking_blocks" in d or "reasoning_content" in d for d in deltas)


def test_front_door_stream_gives_each_thinking_block_its_own_events_and_index() -> None:
    events = AnthropicEventStream(model="claude-sonnet-4-5")
    out = [e for chunk in _stream_chunks(strict=False) for e in events.feed(chunk)]
    out += events.finish(Usage(prompt_tokens=42, completion_tokens=30))
    shape = [
        (name, data.get("index"), (data.get("delta") or data.get("content_block") or {}).get("type"))
        for name, data in out
    ]
    assert shape[:9] == [
        ("message_start", None, None),
        ("content_block_start", 0, "thinking"),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "signature_delta"),
        ("content_block_stop", 0, None),
        ("content_block_start", 1, "redacted_thinking"),
        ("content_block_stop", 1, None),
        ("content_block_start", 2, "tool_use"),
    ]
    assert out[4][1]["delta"]["signature"] == "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"
    assert out[6][1]["content_block"]["data"] == "EmwKAhgBEgy3va3pzix"


def test_a_second_thinking_block_after_a_signature_opens_a_new_block() -> None:
    events = AnthropicEventStream(model="m")
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"thinking_blocks": [
        {"type": "thinking", "thinking": "a", "signature": "s1"},
        {"type": "thinking", "thinking": "b"},
        {"type": "thinking", "thinking": "", "signature": "s2"},
    ]}}]}  # fmt: skip
    starts = [data["index"] for name, data in events.feed(chunk) if name == "content_block_start"]
    assert starts == [0, 1]
