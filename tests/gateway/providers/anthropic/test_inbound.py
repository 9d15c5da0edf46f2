"""Front-door translation: Anthropic request → OpenAI, completion → message, chunks → events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import LimitExceeded, RequestError, UpstreamError
from gateway.providers.anthropic.inbound import (
    chat_request_from_messages,
    error_body,
    message_from_completion,
)
from gateway.providers.anthropic.inbound_stream import AnthropicEventStream, encode_event
from gateway.providers.anthropic.translate import build_request
from gateway.usage import Usage

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_messages_request_becomes_openai_request() -> None:
    assert chat_request_from_messages(load("inbound_messages_request.json")) == load(
        "inbound_openai_request.json"
    )


def test_round_trip_through_the_anthropic_adapter_gives_back_the_same_turns() -> None:
    original = load("inbound_messages_request.json")
    back, _ = build_request(chat_request_from_messages(original), strict=True)
    assert back["messages"][1] == original["messages"][1]
    assert back["messages"][2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_01",
        "content": "15C",
    }
    assert back["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_missing_max_tokens_is_refused_like_anthropic_does() -> None:
    with pytest.raises(RequestError) as info:
        chat_request_from_messages({"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert info.value.param == "max_tokens"


def test_unroutable_blocks_are_refused() -> None:
    doc = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [doc]}]}
    with pytest.raises(RequestError) as info:
        chat_request_from_messages(body)
    assert info.value.param == "messages.0.content.0"


def test_tool_result_errors_are_marked() -> None:
    result = {"type": "tool_result", "tool_use_id": "t", "content": "boom", "is_error": True}
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [result]}]}
    assert chat_request_from_messages(body)["messages"][0]["content"] == "Error: boom"


def test_completion_becomes_message_with_tool_use_and_anthropic_usage() -> None:
    completion = {
        "id": "chatcmpl-1",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "Let me check.",
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                        }
                    ],
                },
            }
        ],
    }
    usage = Usage(prompt_tokens=100, completion_tokens=20, cached_read_tokens=60, cache_write_tokens=10)
    message = message_from_completion(completion, usage)
    assert message["content"] == [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "call_9", "name": "get_weather", "input": {"city": "Rome"}},
    ]
    assert message["stop_reason"] == "tool_use"
    assert message["usage"] == {
        "input_tokens": 30,
        "cache_creation_input_tokens": 10,
        "cache_read_input_tokens": 60,
        "output_tokens": 20,
    }


@pytest.mark.parametrize(
    ("finish", "stop"), [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal")]
)
def test_finish_reason_maps_to_stop_reason(finish: str, stop: str) -> None:
    completion = {
        "id": "c",
        "model": "m",
        "choices": [{"finish_reason": finish, "message": {"content": "x"}}],
    }
    assert message_from_completion(completion, Usage())["stop_reason"] == stop


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s",
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def test_chunks_become_the_anthropic_event_sequence() -> None:
    stream = AnthropicEventStream(model="gpt-4o")
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
        chunk({}, "tool_calls"),
    ]
    events = [e for c in chunks for e in stream.feed(c)] + stream.finish(
        Usage(prompt_tokens=7, completion_tokens=3)
    )
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[5][1]["content_block"] == {"type": "tool_use", "id": "call_1", "name": "f", "input": {}}
    assert events[6][1]["delta"] == {"type": "input_json_delta", "partial_json": '{"a":'}
    assert events[9][1]["delta"]["stop_reason"] == "tool_use"
    assert events[9][1]["usage"]["output_tokens"] == 3
    assert encode_event(events[-1]) == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def test_empty_stream_still_opens_and_closes_the_message() -> None:
    names = [name for name, _ in AnthropicEventStream(model="m").finish(None)]
    assert names == ["message_start", "message_delta", "message_stop"]


def test_errors_render_in_anthropic_shape_with_their_own_status() -> None:
    upstream = UpstreamError("openai error: slow down", status=429, provider="oai")
    assert error_body(upstream) == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "openai error: slow down"},
    }
    assert error_body(LimitExceeded("budget"))["error"]["type"] == "rate_limit_error"
    assert AnthropicEventStream(model="m").error(RequestError("bad"))[0][0] == "error"
