"""OpenAI ⇄ Gemini translation, from recorded-realistic payloads in fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gateway.errors import RequestError
from gateway.providers.compliance import DROPPED_HEADER
from gateway.providers.gemini.response import chat_completion, parse_error
from gateway.providers.gemini.translate import build_embed_request, build_request, model_path
from gateway.providers.gemini.wire import GenerateContentResponse

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def response(name: str) -> GenerateContentResponse:
    return msgspec.json.decode((FIXTURES / name).read_bytes(), type=GenerateContentResponse)


HI = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Hi"}]}


def test_multiturn_request_with_tools_and_images_matches_gemini_shape() -> None:
    body, plan = build_request(load("openai_request_multiturn_tools.json"), strict=True)
    assert body == load("gemini_request_multiturn_tools.json")
    assert plan.dropped == ()


def test_tool_result_is_sent_under_the_function_name_of_its_call() -> None:
    body, _ = build_request(load("openai_request_multiturn_tools.json"), strict=True)
    response_part = body["contents"][2]["parts"][0]["functionResponse"]
    assert response_part["name"] == "get_weather"


def test_plain_text_tool_result_is_wrapped_in_an_object() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    messages = [
        HI["messages"][0],
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    body, _ = build_request({**HI, "messages": messages}, strict=True)
    assert body["contents"][-1]["parts"][0]["functionResponse"]["response"] == {"content": "sunny"}


def test_tool_result_without_a_call_is_refused() -> None:
    messages = [HI["messages"][0], {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    with pytest.raises(RequestError) as info:
        build_request({**HI, "messages": messages}, strict=True)
    assert info.value.param == "messages[1].tool_call_id"


def test_assistant_role_becomes_model_and_same_roles_merge() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "c"},
    ]
    body, _ = build_request({**HI, "messages": messages}, strict=True)
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "c"}]},
    ]


def test_http_image_urls_are_refused_rather_than_fetched() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(RequestError) as info:
        build_request({**HI, "messages": [{"role": "user", "content": [part]}]}, strict=True)
    assert info.value.param == "messages[0].content[0].image_url.url"


def test_json_schema_response_format_sets_mime_type_and_schema() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    body, _ = build_request({**HI, "response_format": fmt}, strict=True)
    assert body["generationConfig"] == {"responseMimeType": "application/json", "responseJsonSchema": schema}


def test_n_becomes_candidate_count() -> None:
    body, _ = build_request({**HI, "n": 2}, strict=True)
    assert body["generationConfig"] == {"candidateCount": 2}


def test_strict_drops_and_lenient_passes_provider_fields() -> None:
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    strict_body, plan = build_request({**HI, "safetySettings": safety, "user": "u1"}, strict=True)
    assert "safetySettings" not in strict_body
    assert plan.headers() == {DROPPED_HEADER: "safetySettings,user"}
    lenient_body, _ = build_request({**HI, "safetySettings": safety}, strict=False)
    assert lenient_body["safetySettings"] == safety


def test_logprobs_are_refused() -> None:
    with pytest.raises(RequestError) as info:
        build_request({**HI, "logprobs": True}, strict=True)
    assert info.value.param == "logprobs"


def test_function_calls_become_numbered_tool_calls() -> None:
    body, _ = chat_completion(
        response("response_function_call_thinking.json"), model="m", created=0, strict=True
    )
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_0", "call_1"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Lyon"}]
    assert "reasoning_content" not in choice["message"]


def test_thoughts_shown_as_reasoning_only_on_lenient_routes() -> None:
    body, _ = chat_completion(
        response("response_function_call_thinking.json"), model="m", created=0, strict=False
    )
    assert body["choices"][0]["message"]["reasoning_content"].startswith("The user wants")


def test_usage_counts_thoughts_as_reasoning_and_cached_content_as_cached_reads() -> None:
    body, usage = chat_completion(
        response("response_function_call_thinking.json"), model="m", created=0, strict=True
    )
    assert usage.prompt_tokens == 1200
    assert usage.completion_tokens == 24 + 87
    assert usage.reasoning_tokens == 87
    assert usage.cached_read_tokens == 1024
    assert body["usage"]["total_tokens"] == 1311
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == 87


def test_safety_finish_becomes_content_filter() -> None:
    body, _ = chat_completion(response("response_safety.json"), model="m", created=0, strict=True)
    assert body["choices"][0]["finish_reason"] == "content_filter"


def test_blocked_prompt_becomes_content_filter_with_no_content() -> None:
    body, usage = chat_completion(response("response_prompt_blocked.json"), model="m", created=0, strict=True)
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None},
            "logprobs": None,
            "finish_reason": "content_filter",
        }
    ]
    assert usage.prompt_tokens == 8


def test_max_tokens_becomes_length_and_candidates_become_choices() -> None:
    body, _ = chat_completion(
        response("response_max_tokens_two_candidates.json"), model="m", created=0, strict=True
    )
    assert [(c["index"], c["finish_reason"]) for c in body["choices"]] == [(0, "length"), (1, "stop")]


def test_quota_error_keeps_429_and_maps_to_rate_limit() -> None:
    error = parse_error(
        429, (FIXTURES / "error_resource_exhausted.json").read_bytes(), provider="gem", retry_after_s=31
    )
    assert (error.status, error.type, error.code) == (429, "rate_limit_error", "RESOURCE_EXHAUSTED")
    assert "exceeded your current quota" in error.message
    assert error.body()["provider"] == "gem"


def test_invalid_key_stays_a_400_as_google_sends_it() -> None:
    error = parse_error(400, (FIXTURES / "error_invalid_key.json").read_bytes(), provider="gem")
    assert (error.status, error.type) == (400, "invalid_request_error")


def test_model_path_accepts_bare_and_qualified_names() -> None:
    assert model_path("gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert model_path("models/gemini-2.5-flash") == "models/gemini-2.5-flash"


def test_embed_request_has_one_item_per_input_with_dimensions() -> None:
    body = build_embed_request({"model": "text-embedding-004", "dimensions": 8}, ["a", "b"])
    assert body == {
        "requests": [
            {
                "model": "models/text-embedding-004",
                "content": {"parts": [{"text": "a"}]},
                "outputDimensionality": 8,
            },
            {
                "model": "models/text-embedding-004",
                "content": {"parts": [{"text": "b"}]},
                "outputDimensionality": 8,
            },
        ]
    }


def test_reasoning_effort_sets_the_thinking_budget_and_thoughts_only_when_shown() -> None:
    strict, _ = build_request({**HI, "reasoning_effort": "low"}, strict=True)
    lenient, _ = build_request({**HI, "reasoning_effort": "high"}, strict=False)
    off, _ = build_request({**HI, "reasoning_effort": "none"}, strict=False)
    assert strict["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 1024}}
    assert lenient["generationConfig"] == {
        "thinkingConfig": {"thinkingBudget": 24576, "includeThoughts": True}
    }
    assert off["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 0}}
    with pytest.raises(RequestError) as info:
        build_request({**HI, "reasoning_effort": "max"}, strict=True)
    assert info.value.param == "reasoning_effort"
