"""No client body makes a translating adapter fail with anything but a 400 naming the problem."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import RequestError
from gateway.providers.anthropic.inbound import chat_request_from_messages
from gateway.providers.anthropic.translate import build_request as anthropic_request
from gateway.providers.gemini.translate import build_request as gemini_request
from gateway.providers.ollama.translate import build_request as ollama_request

_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=5)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_part = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "input_audio", "refusal"])},
    optional={"text": _json, "image_url": _json | st.fixed_dictionaries({"url": _json})},
)
_call = st.fixed_dictionaries(
    {"id": _json, "type": st.just("function")},
    optional={"function": _json | st.fixed_dictionaries({"name": _json, "arguments": _json})},
)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "x"])},
    optional={
        "content": _json | st.lists(_part | _json, max_size=3),
        "tool_calls": _json | st.lists(_call | _json, max_size=2),
        "tool_call_id": _json,
    },
)
_body = st.fixed_dictionaries(
    {"model": _json, "messages": st.lists(_message, min_size=1, max_size=4) | _json},
    optional={
        "max_tokens": _json,
        "stop": _json | st.lists(_json, max_size=2),
        "tools": _json
        | st.lists(
            _json | st.fixed_dictionaries({"type": st.just("function"), "function": _json}), max_size=2
        ),
        "tool_choice": _json | st.fixed_dictionaries({"type": st.just("function"), "function": _json}),
        "response_format": _json
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["json_schema", "json_object"]), "json_schema": _json}
        ),
        "n": _json,
        "temperature": _json,
    },
)
_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_request_errors(build: Any, body: dict[str, Any]) -> None:
    try:
        build(body)
    except RequestError as exc:
        assert exc.status == 400 and exc.param


@_SETTINGS
@given(_body)
def test_anthropic_request_translation_never_crashes(body: dict[str, Any]) -> None:
    _only_request_errors(lambda b: anthropic_request(b, strict=True), body)


@_SETTINGS
@given(_body)
def test_gemini_request_translation_never_crashes(body: dict[str, Any]) -> None:
    _only_request_errors(lambda b: gemini_request(b, strict=True), body)


@_SETTINGS
@given(_body)
def test_ollama_request_translation_never_crashes(body: dict[str, Any]) -> None:
    _only_request_errors(lambda b: ollama_request(b, strict=True, stream=False), body)


_block = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking", "document"])},
    optional={"text": _json, "source": _json, "input": _json, "content": _json, "id": _json, "name": _json},
)
_front_message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system"]),
        "content": _json | st.lists(_block | _json, max_size=3),
    }
)
_front_body = st.fixed_dictionaries(
    {"model": st.text(max_size=3) | _json, "max_tokens": st.integers(1, 9) | _json},
    optional={
        "messages": st.lists(_front_message, min_size=1, max_size=3) | _json,
        "system": _json | st.lists(_block | _json, max_size=2),
        "tools": _json | st.lists(_json, max_size=2),
        "tool_choice": _json,
        "stop_sequences": _json,
        "metadata": _json,
    },
)


@_SETTINGS
@given(_front_body)
def test_front_door_translation_never_crashes(body: dict[str, Any]) -> None:
    _only_request_errors(chat_request_from_messages, body)
