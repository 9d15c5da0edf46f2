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
from tests.integration.gateway.server import GatewayServer

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


def test_streamed_thinking_reaches_the_sdk_in_order_with_its_signature(lenient: anthropic.Anthropic) -> None:
    with lenient.messages.stream(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        messages=QUESTION,  # type: ignore[arg-type]
    ) as stream:
        events = [(event.type, getattr(event, "index", None)) for event in stream]
        final = stream.get_final_message()
    thinking, text = final.content
    assert thinking.type == "thinking" and thinking.signature == sign(thinking.thinking)
    assert text.type == "text" and text.text == "hello from anthropic"
    blocks = [e for e in events if e[0] in ("content_block_start", "content_block_stop")]
    assert blocks == [
        ("content_block_start", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_stop", 1),
    ]
    kinds = [kind for kind, _ in events]
    assert kinds.index("thinking") < kinds.index("signature") < kinds.index("text")


async def test_streamed_thinking_with_the_raw_async_events(server: GatewayServer) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=server.base,
        api_key="unused",
        max_retries=0,
        default_headers={"x-portkey-config": "claude-lenient"},
    ) as sdk:
        stream = await sdk.messages.create(
            model="claude-test",
            max_tokens=2048,
            stream=True,
            thinking=THINKING,  # type: ignore[arg-type]
            messages=QUESTION,  # type: ignore[arg-type]
        )
        deltas = [event.delta.type async for event in stream if event.type == "content_block_delta"]
    signature = deltas.index("signature_delta")
    assert set(deltas[:signature]) == {"thinking_delta"} and signature > 0
    assert set(deltas[signature + 1 :]) == {"text_delta"}
