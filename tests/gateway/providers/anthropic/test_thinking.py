"""Extended thinking across the OpenAI format: Anthropic answer → OpenAI message → front-door message."""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.providers.anthropic.inbound import message_from_completion
from gateway.providers.anthropic.response import chat_completion
from gateway.providers.anthropic.wire import MessagesResponse
from gateway.usage import Usage

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
