"""The prompt API through the real server, called with the openai SDK's raw request path."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tests.fakes.openai_upstream import FakeOpenAI

VARS = {"customer": "Ann", "question": "Where is my parcel?", "orders": ["A-1", "B-2"]}


def _post(client: openai.OpenAI, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, body=body, cast_to=httpx.Response)


def _error(client: openai.OpenAI, path: str, body: dict[str, Any]) -> openai.APIStatusError:
    with pytest.raises(openai.APIStatusError) as caught:
        _post(client, path, body)
    return caught.value


def test_render_returns_the_chat_request_without_calling_a_model(
    client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    response = _post(client, "/prompts/support_reply/render", {"variables": VARS, "max_tokens": 50})
    payload = response.json()
    assert payload["success"] is True
    data = payload["data"]
    assert data["model"] == "gpt-4o-mini" and data["temperature"] == 0.2 and data["max_tokens"] == 50
    assert data["messages"] == [
        {"role": "system", "content": "You answer support questions. Be brief and kind."},
        {"role": "user", "content": "I am Ann (free).\nOrder: A-1\nOrder: B-2"},
        {"role": "user", "content": "Where is my parcel?"},
    ]
    assert payload["prompt"] == {"id": "support_reply", "version": "2026-11-01", "route": "support"}
    assert response.headers["x-gw-prompt-version"] == "2026-11-01"
    assert upstream.requests == []


def test_completion_runs_through_the_prompts_route(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    completion = client.post(
        "/prompts/support_reply/completions",
        body={"variables": {**VARS, "tier": "pro"}, "temperature": 0.7},
        cast_to=ChatCompletion,
    )
    assert completion.choices[0].message.content == "hello from up"
    sent = upstream.requests[0].body
    assert sent["temperature"] == 0.7 and sent["max_tokens"] == 300 and sent["model"] == "gpt-4o-mini"
    assert sent["messages"][1]["content"].startswith("I am Ann (pro).")


def test_completion_response_carries_the_route_and_cache_headers(
    client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    first = _post(client, "/prompts/support_reply/completions", {"variables": VARS})
    second = _post(client, "/prompts/support_reply/completions", {"variables": VARS})
    assert first.headers["x-gw-route"] == "support"
    assert first.headers["x-gw-prompt"] == "support_reply"
    assert (first.headers["x-portkey-cache-status"], second.headers["x-portkey-cache-status"]) == (
        "MISS",
        "HIT",
    )
    assert len(upstream.requests) == 1


def test_completion_streams_chunks(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    stream = client.post(
        "/prompts/support_reply/completions",
        body={"variables": VARS, "stream": True},
        cast_to=ChatCompletionChunk,
        stream=True,
        stream_cls=openai.Stream[ChatCompletionChunk],
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "hello from up"
    assert upstream.requests[0].body["stream"] is True


def test_missing_variable_is_a_400_naming_it(client: openai.OpenAI, upstream: FakeOpenAI) -> None:
    for path in ("render", "completions"):
        error = _error(client, f"/prompts/support_reply/{path}", {"variables": {"customer": "Ann"}})
        assert error.status_code == 400
        body = error.response.json()["error"]
        assert body["param"] == "variables.question"
        assert "`question`" in body["message"] and body["type"] == "invalid_request_error"
    assert upstream.requests == []


def test_mistyped_and_unknown_variables_are_400s_naming_them(client: openai.OpenAI) -> None:
    cases = [
        ({**VARS, "tier": "gold"}, "variables.tier"),
        ({**VARS, "customer": 7}, "variables.customer"),
        ({**VARS, "customer": "x" * 101}, "variables.customer"),
        ({**VARS, "orders": [1]}, "variables.orders"),
        ({**VARS, "extra": "x"}, "variables.extra"),
    ]
    for variables, param in cases:
        error = _error(client, "/prompts/support_reply/render", {"variables": variables})
        assert (error.status_code, error.response.json()["error"]["param"]) == (400, param)


def test_bad_overrides_and_unknown_prompts_are_client_errors(client: openai.OpenAI) -> None:
    bad = _error(client, "/prompts/support_reply/completions", {"variables": VARS, "temprature": 1})
    assert (bad.status_code, bad.response.json()["error"]["param"]) == (400, "temprature")
    messages = _error(client, "/prompts/support_reply/completions", {"messages": []})
    assert messages.response.json()["error"]["param"] == "messages"
    missing = _error(client, "/prompts/nope/render", {"variables": {}})
    assert missing.status_code == 404 and "nope" in missing.response.json()["error"]["message"]


def test_variable_values_are_inserted_as_text_never_evaluated(client: openai.OpenAI) -> None:
    sneaky = "{{ 7 * 7 }} {% include 'partials/tone.j2' %} {{ self.__class__ }}"
    data = _post(client, "/prompts/support_reply/render", {"variables": {**VARS, "question": sneaky}}).json()
    assert data["data"]["messages"][2]["content"] == sneaky


def test_a_dynamic_reach_for_class_is_refused_at_render_without_leaking(client: openai.OpenAI) -> None:
    for key in ("__class__", "__init__", "mro"):
        error = _error(client, "/prompts/echo/render", {"variables": {"probe": {"key": key}}})
        assert error.status_code == 400
        text = error.response.text
        assert "class" not in text.replace(key, "") and "object at 0x" not in text and "Traceback" not in text


def test_input_guardrails_of_the_route_apply_to_the_rendered_prompt(
    client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    error = _error(
        client, "/prompts/support_reply/completions", {"variables": {**VARS, "question": "Apple?"}}
    )
    assert error.status_code == 446
    assert upstream.requests == []


def test_budgets_of_the_route_apply_to_prompt_completions(
    client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    assert _post(client, "/prompts/limited_hello/completions", {}).status_code == 200
    error = _error(client, "/prompts/limited_hello/completions", {})
    assert error.status_code == 429 and "retry-after" in error.response.headers
    assert len(upstream.requests) == 1
