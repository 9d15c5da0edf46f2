"""Extended thinking through the front door to an Anthropic target, driven by the official SDK.

The fake Anthropic answers a thinking request with a signed thinking block and accepts a thinking
block back only with the signature it issued; on a lenient route the SDK sees the blocks as
Anthropic sends them.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_upstream import REDACTED_DATA, Reply, sign

pytestmark = pytest.mark.integration

THINKING = {"type": "enabled", "budget_tokens": 1024}
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def test_thinking_answer_reaches_the_sdk_with_its_signature(lenient: anthropic.Anthropic) -> None:
    message = lenient.messages.create(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        messages=QUESTION,  # type: ignore[arg-type]
    )
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.signature == sign(thinking.thinking)
    assert text.type == "text" and text.text == "hello from anthropic"


def test_redacted_thinking_reaches_the_sdk_unchanged(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    answer = {
        "id": "msg_2",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "redacted_thinking", "data": REDACTED_DATA}, {"type": "text", "text": "Paris."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
    fakes["anthropic"].script(Reply(body=answer))
    message = lenient.messages.create(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        messages=QUESTION,  # type: ignore[arg-type]
    )
    assert message.content[0].type == "redacted_thinking" and message.content[0].data == REDACTED_DATA
    assert message.content[1].type == "text" and message.content[1].text == "Paris."
