"""The Anthropic-compatible front door driven by the official `anthropic` SDK, sync and async."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from tests.fakes.anthropic_upstream import Reply, ToolCall, sign
from tests.fakes.openai_upstream import Reply as OpenAIReply
from tests.integration.gateway.server import GatewayServer

pytestmark = pytest.mark.integration

WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_message_from_an_anthropic_target(client: anthropic.Anthropic, fakes: dict[str, Any]) -> None:
    raw = client.messages.with_raw_response.create(
        model="claude-test", max_tokens=64, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]
    )
    message = raw.parse()
    assert message.content[0].type == "text" and message.content[0].text == "hello from anthropic"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 12 and message.usage.output_tokens == 6
    sent = fakes["anthropic"].requests[-1].body
    assert sent["system"] == [{"type": "text", "text": "Be brief."}] and sent["max_tokens"] == 64
    assert raw.headers["x-gw-route"] == "claude"


def test_streamed_message_from_an_anthropic_target(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "hello from anthropic"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 6


def test_tool_use_from_an_anthropic_target(client: anthropic.Anthropic, fakes: dict[str, Any]) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_1", "get_weather", {"city": "Nice"})])
    )
    message = client.messages.create(
        model="claude-test",
        max_tokens=64,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Weather in Nice?"}],
    )
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "Nice"}
    assert message.stop_reason == "tool_use"
    sent = fakes["anthropic"].requests[-1].body
    assert sent["tools"][0]["name"] == "get_weather"
    assert sent["tool_choice"]["type"] == "tool" and sent["tool_choice"]["name"] == "get_weather"


def test_streamed_tool_use_from_an_anthropic_target(
    client: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_2", "get_weather", {"city": "Huế"})])
    )
    with client.messages.stream(
        model="claude-test",
        max_tokens=64,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Weather?"}],
    ) as stream:
        final = stream.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use" and block.id == "toolu_2" and block.input == {"city": "Huế"}
    assert final.stop_reason == "tool_use"


def test_tool_result_turn_is_translated_to_openai(
    openai_routed: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    message = openai_routed.messages.create(
        model="gpt-4o",
        max_tokens=64,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Nice?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Nice"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"}],
            },
        ],
    )
    assert message.content[0].type == "text" and message.content[0].text == "hello from openai"
    sent = fakes["openai"].requests[-1].body
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assistant, tool = sent["messages"][1], sent["messages"][2]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Nice"}
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


async def test_async_message_translated_to_openai(server: GatewayServer, fakes: dict[str, Any]) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=server.base, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "gpt"}
    ) as sdk:
        message = await sdk.messages.create(
            model="gpt-4o", max_tokens=32, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]
        )
    assert message.content[0].type == "text" and message.content[0].text == "hello from openai"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 5 and message.usage.output_tokens == 4
    sent = fakes["openai"].requests[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["max_tokens"] == 32


async def test_async_stream_translated_to_openai(server: GatewayServer, fakes: dict[str, Any]) -> None:
    fakes["openai"].script(OpenAIReply(text="one two three four five"))
    async with (
        anthropic.AsyncAnthropic(
            base_url=server.base, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "gpt"}
        ) as sdk,
        sdk.messages.stream(
            model="gpt-4o", max_tokens=32, messages=[{"role": "user", "content": "count"}]
        ) as stream,
    ):
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert "".join(pieces) == "one two three four five" and len(pieces) == 5
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 4
    assert fakes["openai"].requests[-1].body["stream_options"] == {"include_usage": True}


async def test_async_stream_from_an_anthropic_target(server: GatewayServer) -> None:
    async with anthropic.AsyncAnthropic(
        base_url=server.base, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "claude"}
    ) as sdk:
        stream = await sdk.messages.create(
            model="claude-test", max_tokens=32, stream=True, messages=[{"role": "user", "content": "Hi"}]
        )
        kinds = [event.type async for event in stream]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_delta" in kinds


def test_count_tokens_for_an_anthropic_target(client: anthropic.Anthropic, fakes: dict[str, Any]) -> None:
    counted = client.messages.count_tokens(
        model="claude-test", system="Be brief.", messages=[{"role": "user", "content": "Hello there"}]
    )
    assert counted.input_tokens > 0
    sent = fakes["anthropic"].requests[-1]
    assert sent.path == "/v1/messages/count_tokens" and "max_tokens" not in sent.body


def test_count_tokens_counts_thinking_history_and_cache_hints(
    client: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    history = [
        {"role": "user", "content": "Weather in Nice?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Look it up.", "signature": sign("Look it up.")},
                {"type": "text", "text": "Sunny."},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "text", "text": "Lyon?", "cache_control": {"type": "ephemeral"}}],
        },
    ]
    client.messages.count_tokens(
        model="claude-test",
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=history,  # type: ignore[arg-type]
    )
    sent = fakes["anthropic"].requests[-1].body  # a strict route, yet nothing that counts is left out
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent["messages"][1]["content"][0]["signature"] == sign("Look it up.")
    assert sent["messages"][2]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_count_tokens_needs_an_anthropic_target(openai_routed: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        openai_routed.messages.count_tokens(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": info.value.body["error"]["message"]},
    }
    assert "count tokens" in info.value.body["error"]["message"]


def test_bad_request_is_refused_in_anthropic_shape(server: GatewayServer, fakes: dict[str, Any]) -> None:
    reply = httpx.post(
        server.base + "/v1/messages",
        json={"model": "claude-test", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"x-portkey-config": "claude"},
    )
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }
    assert fakes["anthropic"].requests == []


def test_unknown_route_is_refused_in_anthropic_shape(server: GatewayServer) -> None:
    with (
        anthropic.Anthropic(
            base_url=server.base,
            api_key="unused",
            max_retries=0,
            default_headers={"x-portkey-config": "nope"},
        ) as sdk,
        pytest.raises(anthropic.APIStatusError) as info,
    ):
        sdk.messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    body = info.value.body
    assert isinstance(body, dict) and body["type"] == "error" and "nope" in body["error"]["message"]


def test_upstream_errors_keep_their_status_in_anthropic_shape(
    client: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["anthropic"].script(Reply(status=529))
    with pytest.raises(anthropic.APIStatusError) as info:
        client.messages.create(
            model="claude-test", max_tokens=8, messages=[{"role": "user", "content": "Hi"}]
        )
    assert info.value.status_code == 529
    assert isinstance(info.value.body, dict) and info.value.body["error"]["type"] == "overloaded_error"


def test_openai_rate_limit_is_an_anthropic_rate_limit_error(
    openai_routed: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["openai"].script(OpenAIReply(status=429, headers={"retry-after": "7"}))
    with pytest.raises(anthropic.RateLimitError) as info:
        openai_routed.messages.create(
            model="gpt-4o", max_tokens=8, messages=[{"role": "user", "content": "Hi"}]
        )
    assert info.value.response.headers["retry-after"] == "7"
    assert isinstance(info.value.body, dict) and info.value.body["error"]["type"] == "rate_limit_error"


def test_stream_broken_mid_way_ends_with_an_error_event(
    openai_routed: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    fakes["openai"].script(OpenAIReply(text="one two three four", break_after=3))
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        openai_routed.messages.stream(
            model="gpt-4o", max_tokens=8, messages=[{"role": "user", "content": "Hi"}]
        ) as stream,
    ):
        for _ in stream.text_stream:
            pass
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "error"
