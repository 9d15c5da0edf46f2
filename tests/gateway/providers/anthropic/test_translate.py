"""OpenAI ⇄ Anthropic translation, from recorded-realistic payloads in fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gateway.errors import RequestError
from gateway.providers.anthropic.response import chat_completion, parse_error, usage_from_wire
from gateway.providers.anthropic.translate import build_request
from gateway.providers.anthropic.wire import MessagesResponse, WireUsage
from gateway.providers.compliance import DROPPED_HEADER

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def message(name: str) -> MessagesResponse:
    return msgspec.json.decode((FIXTURES / name).read_bytes(), type=MessagesResponse)


def test_multiturn_request_with_tools_and_images_matches_anthropic_shape() -> None:
    body, plan = build_request(load("openai_request_multiturn_tools.json"), strict=True)
    assert body == load("anthropic_request_multiturn_tools.json")
    assert plan.dropped == ()


def test_system_and_developer_messages_are_lifted_out_of_messages() -> None:
    body, _ = build_request(load("openai_request_multiturn_tools.json"), strict=True)
    assert [b["text"] for b in body["system"]] == ["You are a weather assistant.", "Answer in Celsius."]
    assert {m["role"] for m in body["messages"]} == {"user", "assistant"}


def test_consecutive_user_turns_are_merged_so_roles_alternate() -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    body, _ = build_request(req, strict=True)
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]


def test_max_tokens_defaults_when_absent_and_max_completion_tokens_wins() -> None:
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert build_request(base, strict=True)[0]["max_tokens"] == 4096
    assert build_request({**base, "max_tokens": 10}, strict=True)[0]["max_tokens"] == 10
    assert (
        build_request({**base, "max_tokens": 10, "max_completion_tokens": 20}, strict=True)[0]["max_tokens"]
        == 20
    )


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_maps_to_anthropic(choice: Any, expected: dict[str, Any]) -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tool_choice": choice}
    assert build_request(req, strict=True)[0]["tool_choice"] == expected


def test_single_stop_string_becomes_a_stop_sequence_list() -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": "END"}
    assert build_request(req, strict=True)[0]["stop_sequences"] == ["END"]


def test_strict_route_drops_unsupported_parameters_and_names_them() -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 7, "top_k": 5}
    body, plan = build_request(req, strict=True)
    assert "seed" not in body and "top_k" not in body
    assert plan.headers() == {DROPPED_HEADER: "seed,top_k"}


def test_lenient_route_passes_provider_specific_parameters_through() -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "top_k": 5}
    body, plan = build_request(req, strict=False)
    assert body["top_k"] == 5
    assert plan.dropped == ()


@pytest.mark.parametrize(("name", "value"), [("n", 2), ("logprobs", True), ("top_logprobs", 3)])
def test_shape_changing_parameters_are_refused_with_400_naming_them(name: str, value: Any) -> None:
    req = {"model": "m", "messages": [{"role": "user", "content": "hi"}], name: value}
    with pytest.raises(RequestError) as info:
        build_request(req, strict=False)
    assert info.value.status == 400
    assert info.value.param == name


def test_invalid_tool_arguments_are_refused_naming_the_field() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}
    req = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [call]}],
    }
    with pytest.raises(RequestError) as info:
        build_request(req, strict=True)
    assert info.value.param == "messages[1].tool_calls[0].function.arguments"


def test_image_that_is_neither_data_nor_http_url_is_refused() -> None:
    part = {"type": "image_url", "image_url": {"url": "ftp://example.com/cat.png"}}
    req = {"model": "m", "messages": [{"role": "user", "content": [part]}]}
    with pytest.raises(RequestError) as info:
        build_request(req, strict=True)
    assert info.value.param == "messages[0].content[0].image_url.url"


def test_tool_use_response_becomes_tool_calls_with_ids_kept() -> None:
    body, _ = chat_completion(message("message_tool_use_cached.json"), created=1700000000, strict=True)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "I'll check the current weather in San Francisco for you."
    call = choice["message"]["tool_calls"][0]
    assert call["id"] == "toolu_01A09q90qw90lq917835lq9"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "San Francisco, CA", "unit": "celsius"}
    assert body["object"] == "chat.completion" and body["id"] == "msg_01Aq9w938a90dw8q"


def test_usage_prompt_tokens_include_cache_reads_and_writes() -> None:
    body, usage = chat_completion(message("message_tool_use_cached.json"), created=0, strict=True)
    assert usage.prompt_tokens == 21 + 188 + 1024
    assert usage.cached_read_tokens == 1024
    assert usage.cache_write_tokens == 188
    assert usage.completion_tokens == 93
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 1024
    assert body["usage"]["total_tokens"] == 21 + 188 + 1024 + 93


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"), ("stop_sequence", "stop")],
)
def test_stop_reason_maps_to_finish_reason(stop_reason: str, finish: str) -> None:
    resp = message("message_max_tokens.json")
    resp.stop_reason = stop_reason
    body, _ = chat_completion(resp, created=0, strict=True)
    assert body["choices"][0]["finish_reason"] == finish


def test_thinking_is_shown_as_reasoning_content_only_on_lenient_routes() -> None:
    resp = message("message_max_tokens.json")
    resp.content.insert(
        0, msgspec.convert({"type": "thinking", "thinking": "hmm"}, type=type(resp.content[0]))
    )
    strict, _ = chat_completion(resp, created=0, strict=True)
    lenient, _ = chat_completion(resp, created=0, strict=False)
    assert "reasoning_content" not in strict["choices"][0]["message"]
    assert lenient["choices"][0]["message"]["reasoning_content"] == "hmm"


def test_error_body_keeps_status_type_and_message() -> None:
    raw = (FIXTURES / "error_rate_limit.json").read_bytes()
    headers = {"retry-after": "12", "anthropic-ratelimit-requests-remaining": "0", "request-id": "req_1"}
    error = parse_error(429, raw, headers, provider="claude", retry_after_s=12.0)
    assert error.status == 429
    assert error.type == "rate_limit_error"
    assert error.provider == "claude"
    assert "exceed the rate limit" in error.message
    assert error.retry_after_s == 12.0
    assert error.headers["x-ratelimit-remaining-requests"] == "0"
    assert error.body()["provider"] == "claude"


def test_overloaded_529_is_kept_as_529() -> None:
    error = parse_error(529, (FIXTURES / "error_overloaded.json").read_bytes(), {}, provider="claude")
    assert (error.status, error.type) == (529, "overloaded_error")


def test_error_body_that_is_not_json_still_maps() -> None:
    error = parse_error(502, b"<html>Bad gateway</html>", {}, provider="claude")
    assert error.status == 502 and "Bad gateway" in error.message


def test_usage_without_cache_fields_counts_input_only() -> None:
    usage = usage_from_wire(WireUsage(input_tokens=5, output_tokens=2))
    assert (usage.prompt_tokens, usage.cached_read_tokens, usage.cache_write_tokens) == (5, 0, 0)


def test_tool_results_come_first_in_a_merged_user_turn() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "user", "content": "also this"},
        {"role": "tool", "tool_call_id": "t1", "content": "done"},
    ]
    body, _ = build_request({"model": "m", "messages": messages}, strict=True)
    assert [b["type"] for b in body["messages"][-1]["content"]] == ["tool_result", "text"]


@pytest.mark.parametrize(
    ("field", "value"), [("max_tokens", "many"), ("messages", [{"role": "user", "content": 5}])]
)
def test_malformed_fields_are_400s_naming_them(field: str, value: Any) -> None:
    with pytest.raises(RequestError) as info:
        build_request(
            {"model": "m", "messages": [{"role": "user", "content": "x"}], field: value}, strict=True
        )
    assert info.value.param in ("max_tokens", "messages[0].content")
