"""Extended thinking with tool use across two turns, through the front door, with the official SDK.

Anthropic requires the assistant turn that called a tool to come back starting with its thinking
block, signature intact; the fake refuses the second turn otherwise, exactly as Anthropic does.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_upstream import Reply, ToolCall, sign

pytestmark = pytest.mark.integration

THINKING = {"type": "enabled", "budget_tokens": 1024}
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
QUESTION = {"role": "user", "content": "Weather in Nice?"}


def _ask(sdk: anthropic.Anthropic, messages: list[Any], *, stream: bool = False) -> Any:  # Any: SDK types
    kwargs: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 2048,
        "thinking": THINKING,
        "tools": [WEATHER],
        "messages": messages,
    }
    if not stream:
        return sdk.messages.create(**kwargs)
    with sdk.messages.stream(**kwargs) as events:
        return events.get_final_message()


def _tool_turn(first: Any) -> list[Any]:  # Any: SDK content blocks and message params
    call = next(b for b in first.content if b.type == "tool_use")
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 24C"}
    return [QUESTION, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_thinking_and_tool_use_work_across_turns(
    lenient: anthropic.Anthropic, fakes: dict[str, Any], stream: bool
) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_1", "get_weather", {"city": "Nice"})])
    )
    first = _ask(lenient, [QUESTION], stream=stream)
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    fakes["anthropic"].script(Reply(text="Sunny and 24C in Nice."))
    second = _ask(lenient, _tool_turn(first), stream=stream)
    assert second.content[-1].type == "text" and second.content[-1].text == "Sunny and 24C in Nice."
    sent = fakes["anthropic"].requests[-1].body["messages"][1]["content"]
    thinking = first.content[0]
    assert sent[0] == {
        "type": "thinking",
        "thinking": thinking.thinking,
        "signature": sign(thinking.thinking),
    }
    assert sent[1]["type"] == "tool_use" and sent[1]["id"] == "toolu_1"


def test_a_tool_turn_without_its_thinking_block_is_refused_by_anthropic(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_1", "get_weather", {"city": "Nice"})])
    )
    messages = _tool_turn(_ask(lenient, [QUESTION]))
    messages[1]["content"] = [b for b in messages[1]["content"] if b.type != "thinking"]
    with pytest.raises(anthropic.BadRequestError) as info:
        _ask(lenient, messages)
    assert "must start with a thinking block" in str(info.value)


def test_a_tampered_thinking_block_is_refused_by_anthropic(
    lenient: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_1", "get_weather", {"city": "Nice"})])
    )
    messages = _tool_turn(_ask(lenient, [QUESTION]))
    thinking = messages[1]["content"][0]
    messages[1]["content"][0] = {
        "type": "thinking",
        "thinking": thinking.thinking + "!",
        "signature": thinking.signature,
    }
    with pytest.raises(anthropic.BadRequestError) as info:
        _ask(lenient, messages)
    assert "Invalid `signature`" in str(info.value)


def test_a_strict_route_drops_thinking_history_and_names_it(
    client: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    signed = {"type": "thinking", "thinking": "Use the tool.", "signature": sign("Use the tool.")}
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Nice"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
    raw = client.messages.with_raw_response.create(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        tools=[WEATHER],  # type: ignore[list-item]
        messages=[
            QUESTION,
            {"role": "assistant", "content": [signed, call]},
            {"role": "user", "content": [result]},
        ],  # type: ignore[list-item]
    )
    assert raw.headers["x-gw-dropped-params"] == "thinking,thinking_blocks"
    sent = fakes["anthropic"].requests[-1].body
    assert "thinking" not in sent and [b["type"] for b in sent["messages"][1]["content"]] == ["tool_use"]
