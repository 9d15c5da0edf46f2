"""OpenAI ⇄ Ollama native translation, from recorded-realistic payloads in fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gateway.errors import RequestError
from gateway.providers.ollama.stream import OllamaStreamTranslator
from gateway.providers.ollama.translate import build_request, chat_completion, parse_error
from gateway.providers.ollama.wire import ChatResponse

FIXTURES = Path(__file__).parent / "fixtures"
HI = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def response(name: str) -> ChatResponse:
    return msgspec.json.decode((FIXTURES / name).read_bytes(), type=ChatResponse)


def test_request_with_tools_image_and_options_matches_ollama_shape() -> None:
    body, plan = build_request(load("openai_request_tools_image.json"), strict=True, stream=False)
    assert body == load("ollama_request_tools_image.json")
    assert plan.dropped == ()


def test_stream_flag_is_always_sent_because_ollama_defaults_to_streaming() -> None:
    assert build_request(HI, strict=True, stream=False)[0]["stream"] is False
    assert build_request(HI, strict=True, stream=True)[0]["stream"] is True


def test_image_urls_are_refused_rather_than_fetched() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(RequestError) as info:
        build_request({**HI, "messages": [{"role": "user", "content": [part]}]}, strict=True, stream=False)
    assert info.value.param == "messages[0].content[0].image_url.url"


def test_forced_tool_choice_is_refused_and_none_removes_tools() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    with pytest.raises(RequestError) as info:
        build_request({**HI, "tools": tools, "tool_choice": "required"}, strict=True, stream=False)
    assert info.value.param == "tool_choice"
    body, _ = build_request({**HI, "tools": tools, "tool_choice": "none"}, strict=True, stream=False)
    assert "tools" not in body


def test_json_schema_response_format_becomes_format_schema() -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert build_request({**HI, "response_format": fmt}, strict=True, stream=False)[0]["format"] == schema


def test_lenient_route_passes_ollama_fields_through() -> None:
    body, _ = build_request({**HI, "keep_alive": "5m"}, strict=False, stream=False)
    assert body["keep_alive"] == "5m"
    strict_body, plan = build_request({**HI, "keep_alive": "5m"}, strict=True, stream=False)
    assert "keep_alive" not in strict_body and plan.dropped == ("keep_alive",)


def test_tool_call_response_gets_numbered_ids_and_string_arguments() -> None:
    body, usage = chat_completion(response("chat_tool_call.json"), created=5, strict=True)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["id"] == "call_0"
    assert json.loads(call["function"]["arguments"]) == {"format": "celsius", "location": "Paris, FR"}
    assert (usage.prompt_tokens, usage.completion_tokens) == (122, 33)


def test_length_done_reason_and_thinking() -> None:
    strict, _ = chat_completion(response("chat_length.json"), created=5, strict=True)
    lenient, _ = chat_completion(response("chat_length.json"), created=5, strict=False)
    assert strict["choices"][0]["finish_reason"] == "length"
    assert "reasoning_content" not in strict["choices"][0]["message"]
    assert lenient["choices"][0]["message"]["reasoning_content"] == "Explain scattering."


def test_ndjson_stream_becomes_chunks_with_usage() -> None:
    t = OllamaStreamTranslator(created=1, include_usage=True, strict=True, provider="local")
    lines = (FIXTURES / "stream_text.ndjson").read_bytes().splitlines()
    chunks = [c for line in lines for c in t.feed(line)] + t.finish()
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "The sky is blue."
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 26,
        "completion_tokens": 282,
        "total_tokens": 308,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def test_model_not_found_keeps_404() -> None:
    error = parse_error(404, (FIXTURES / "error_model_not_found.json").read_bytes(), provider="local")
    assert (error.status, error.type) == (404, "not_found_error")
    assert 'model "llama9" not found' in error.message
