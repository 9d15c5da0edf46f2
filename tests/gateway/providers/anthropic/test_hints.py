"""Anthropic-only request details (cache hints, thinking) through the front door and the adapter.

The front door puts them in the OpenAI-shaped request; the Anthropic adapter forwards them on lenient
routes and drops-and-names them on strict ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import RequestError
from gateway.providers.anthropic.inbound import chat_request_from_messages
from gateway.providers.anthropic.translate import build_request

EPHEMERAL = {"type": "ephemeral"}
SIGNED = {"type": "thinking", "thinking": "Nice is in France.", "signature": "c2lnbmVk"}
REDACTED = {"type": "redacted_thinking", "data": "b3BhcXVl"}
IMAGE = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}


def _front_door_request() -> dict[str, Any]:  # Any: Anthropic request JSON
    return {
        "model": "claude-test",
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "system": [{"type": "text", "text": "Be brief.", "cache_control": EPHEMERAL}],
        "tools": [{"name": "get_weather", "input_schema": {"type": "object"}, "cache_control": EPHEMERAL}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather?", "cache_control": EPHEMERAL},
                    {**IMAGE, "cache_control": EPHEMERAL},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    SIGNED,
                    REDACTED,
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Nice"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "sunny",
                        "cache_control": EPHEMERAL,
                    }
                ],
            },
        ],
    }


def test_front_door_keeps_thinking_and_cache_hints_in_the_openai_request() -> None:
    out = chat_request_from_messages(_front_door_request())
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    system, user, assistant, tool = out["messages"]
    assert system["content"] == [{"type": "text", "text": "Be brief.", "cache_control": EPHEMERAL}]
    assert user["content"][0]["cache_control"] == EPHEMERAL
    assert user["content"][1]["cache_control"] == EPHEMERAL
    assert assistant["thinking_blocks"] == [SIGNED, REDACTED]
    assert tool["content"] == [{"type": "text", "text": "sunny", "cache_control": EPHEMERAL}]
    assert out["tools"][0]["cache_control"] == EPHEMERAL


def test_requests_without_hints_keep_their_plain_openai_shape() -> None:
    body = {
        "model": "m",
        "max_tokens": 8,
        "system": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
        "messages": [{"role": "assistant", "content": [{"type": "text", "text": "ok"}]}],
    }
    out = chat_request_from_messages(body)
    assert out["messages"] == [
        {"role": "system", "content": "A\n\nB"},
        {"role": "assistant", "content": "ok"},
    ]


def test_lenient_anthropic_target_receives_every_hint_verbatim() -> None:
    original = _front_door_request()
    sent, plan = build_request(chat_request_from_messages(original), strict=False)
    assert plan.dropped == ()
    assert sent["thinking"] == original["thinking"]
    assert sent["system"] == original["system"]
    assert sent["tools"][0]["cache_control"] == EPHEMERAL
    assert sent["messages"] == original["messages"]


def test_strict_anthropic_target_drops_every_hint_and_names_them() -> None:
    sent, plan = build_request(chat_request_from_messages(_front_door_request()), strict=True)
    assert plan.headers() == {"x-gw-dropped-params": "cache_control,thinking,thinking_blocks"}
    assert "thinking" not in sent and "cache_control" not in str(sent)
    assert [b["type"] for b in sent["messages"][1]["content"]] == ["tool_use"]


def test_a_thinking_block_without_its_signature_is_refused_naming_the_field() -> None:
    body = _front_door_request()
    body["messages"][1]["content"][0] = {"type": "thinking", "thinking": "x"}
    with pytest.raises(RequestError) as info:
        chat_request_from_messages(body)
    assert info.value.status == 400 and info.value.param == "messages.1.content.0.signature"


def test_openai_thinking_blocks_without_a_signature_are_refused_by_the_adapter() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "Hi"},
            {
                "role": "assistant",
                "content": "ok",
                "thinking_blocks": [{"type": "thinking", "thinking": "x"}],
            },
        ],
    }
    with pytest.raises(RequestError) as info:
        build_request(body, strict=False)
    assert info.value.param == "messages[1].thinking_blocks[0].signature"


def test_thinking_blocks_go_first_in_their_assistant_turn() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Let me check.", "thinking_blocks": [SIGNED]},
        ],
    }
    sent, _ = build_request(body, strict=False)
    assert sent["messages"][1]["content"] == [SIGNED, {"type": "text", "text": "Let me check."}]
