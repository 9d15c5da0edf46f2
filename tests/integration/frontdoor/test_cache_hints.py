"""Prompt-caching hints and the `thinking` parameter through the front door, with the official SDK.

On a lenient route (`strict_openai_compliance: false`) they reach the Anthropic target verbatim and
the fake's imitated prompt cache reports the write and then the read; on a strict route they are
dropped and named in `x-gw-dropped-params`, and the upstream sees none of them.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_upstream import FakeAnthropic, cache_marks

pytestmark = pytest.mark.integration

EPHEMERAL = {"type": "ephemeral"}
TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    "cache_control": EPHEMERAL,
}
SYSTEM = [
    {"type": "text", "text": "You are a weather bot."},
    {"type": "text", "text": "Long reference material " * 50, "cache_control": EPHEMERAL},
]


def _create(sdk: anthropic.Anthropic, **extra: Any) -> Any:  # Any: the SDK's raw response
    return sdk.messages.with_raw_response.create(
        model="claude-test",
        max_tokens=2048,
        system=SYSTEM,  # type: ignore[arg-type]
        tools=[TOOL],  # type: ignore[list-item]
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "Weather in Nice?", "cache_control": EPHEMERAL}],
            }
        ],
        **extra,
    )


def test_cache_hints_reach_anthropic_on_a_lenient_route(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    raw = _create(lenient)
    sent = fakes["anthropic"].requests[-1].body
    assert sent["system"] == SYSTEM
    assert sent["tools"][0]["cache_control"] == EPHEMERAL
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "Weather in Nice?", "cache_control": EPHEMERAL}
    ]
    assert "x-gw-dropped-params" not in raw.headers
    first = raw.parse().usage
    second = _create(lenient).parse().usage
    assert first.cache_creation_input_tokens == FakeAnthropic.CACHED_TOKENS
    assert second.cache_read_input_tokens == FakeAnthropic.CACHED_TOKENS
    assert second.cache_creation_input_tokens == 0


def test_cache_hints_and_thinking_are_dropped_and_named_on_a_strict_route(
    client: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    raw = _create(client, thinking={"type": "enabled", "budget_tokens": 1024})
    sent = fakes["anthropic"].requests[-1].body
    assert cache_marks(sent) == [] and "thinking" not in sent
    assert raw.headers["x-gw-dropped-params"] == "cache_control,thinking"
    message = raw.parse()
    assert [b.type for b in message.content] == ["text"]
    assert message.usage.cache_creation_input_tokens == 0


def test_thinking_parameter_reaches_anthropic_on_a_lenient_route(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    _create(lenient, thinking={"type": "enabled", "budget_tokens": 1024})
    assert fakes["anthropic"].requests[-1].body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_a_cached_tool_result_reaches_anthropic_on_a_lenient_route(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    lenient.messages.create(
        model="claude-test",
        max_tokens=64,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": "Weather in Nice?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Nice"}}
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
    )
    sent = fakes["anthropic"].requests[-1].body
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny", "cache_control": EPHEMERAL}
    ]


def test_a_malformed_cache_hint_comes_back_as_anthropics_own_400(lenient: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        lenient.messages.create(
            model="claude-test",
            max_tokens=64,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "forever"}}],
                }
            ],
        )
    assert "cache_control.type" in str(info.value)


HISTORY = [
    {"role": "user", "content": "Weather in Nice?"},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Look it up.", "signature": "sig-from-anthropic"},
            {"type": "text", "text": "Sunny."},
        ],
    },
    {"role": "user", "content": [{"type": "text", "text": "And Lyon?", "cache_control": EPHEMERAL}]},
]


def test_openai_family_targets_on_a_strict_route_get_none_of_the_anthropic_fields(
    openai_routed: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    raw = _create(openai_routed, thinking={"type": "enabled", "budget_tokens": 1024})
    sent = fakes["openai"].requests[-1].body
    assert "thinking" not in sent  # OpenAI would refuse it with a 400
    assert all("cache_control" not in part for part in sent["messages"][0]["content"])
    assert "cache_control" not in sent["tools"][0]
    assert raw.headers["x-gw-dropped-params"] == "cache_control,thinking"
    raw = openai_routed.messages.with_raw_response.create(
        model="claude-test",
        max_tokens=64,
        messages=HISTORY,  # type: ignore[arg-type]
    )
    sent = fakes["openai"].requests[-1].body
    assert all("thinking_blocks" not in message for message in sent["messages"])
    assert sent["messages"][1]["content"] == "Sunny."
    assert raw.headers["x-gw-dropped-params"] == "cache_control,thinking_blocks"


def test_openai_family_targets_on_a_lenient_route_receive_them_as_they_are(
    openai_lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    raw = _create(openai_lenient, thinking={"type": "enabled", "budget_tokens": 1024})
    sent = fakes["openai"].requests[-1].body
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent["messages"][0]["content"][1]["cache_control"] == EPHEMERAL
    assert sent["tools"][0]["cache_control"] == EPHEMERAL
    assert "x-gw-dropped-params" not in raw.headers
