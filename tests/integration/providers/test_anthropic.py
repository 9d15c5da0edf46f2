"""Anthropic through gw, driven by the official OpenAI SDK (streaming and not)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from compiler.specs import ProviderSpec
from tests.fakes.anthropic_upstream import Reply, ToolCall
from tests.gateway.runtime.builders import gateway, leaf, route
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
def client(providers: dict[str, ProviderSpec], serve: ServeFn) -> openai.OpenAI:
    compiled = gateway(list(providers.values()), [route("claude", leaf("config", "anthropic"))])
    return serve(compiled).client("claude")


def test_chat_completion_from_anthropic(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    raw = client.chat.completions.with_raw_response.create(model="claude-test", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content == "hello from anthropic"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens == 12
    sent = fakes["anthropic"].requests[-1]
    assert sent.body["system"] == [{"type": "text", "text": "Be brief."}]
    assert sent.body["max_tokens"] == 4096
    assert raw.headers["x-portkey-provider"] == "anthropic"


def test_streamed_completion_from_anthropic(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="claude-test", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "hello from anthropic"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6


def test_streamed_tool_call_from_anthropic(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    fakes["anthropic"].script(
        Reply(text="", tool_calls=[ToolCall("toolu_9", "get_weather", {"city": "Nice"})])
    )
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    stream = client.chat.completions.create(model="claude-test", messages=MESSAGES, tools=tools, stream=True)
    calls = [tc for c in stream if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id == "toolu_9" and calls[0].function.name == "get_weather"
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {"city": "Nice"}


def test_anthropic_errors_keep_their_status(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    fakes["anthropic"].script(Reply(status=529))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="claude-test", messages=MESSAGES)
    assert info.value.status_code == 529
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "overloaded_error"


def test_dropped_parameters_are_reported(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="claude-test", messages=MESSAGES, seed=3)
    assert raw.headers["x-gw-dropped-params"] == "seed"


def test_shape_changing_parameters_are_refused(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="claude-test", messages=MESSAGES, n=2)
    assert "`n`" in info.value.message
    assert fakes["anthropic"].requests == []


def test_upstream_sees_no_gateway_credentials(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    client.chat.completions.create(model="claude-test", messages=MESSAGES)
    headers = {k.lower(): v for k, v in fakes["anthropic"].requests[-1].headers.items()}
    assert headers["x-api-key"] == "sk-ant-test"
    assert "authorization" not in headers
