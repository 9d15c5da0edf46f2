"""Gemini through gw, driven by the official OpenAI SDK (chat, stream, tools, embeddings)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from compiler.specs import ProviderSpec
from tests.fakes.gemini_upstream import Reply, ToolCall
from tests.gateway.runtime.builders import gateway, leaf, route
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
def client(providers: dict[str, ProviderSpec], serve: ServeFn) -> openai.OpenAI:
    return serve(gateway(list(providers.values()), [route("gem", leaf("config", "gemini"))])).client("gem")


def test_chat_completion_from_gemini(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    completion = client.chat.completions.create(model="gemini-2.5-flash", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from gemini"
    assert completion.usage is not None and completion.usage.total_tokens == 14
    sent = fakes["gemini"].requests[-1]
    assert sent.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert sent.headers["x-goog-api-key"] == "AIza-test"


def test_streamed_completion_from_gemini(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="gemini-2.5-flash", messages=MESSAGES, stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello from gemini"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_tool_call_from_gemini(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    fakes["gemini"].script(Reply(text="", tool_calls=[ToolCall("", "lookup", {"q": "gw"})]))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    completion = client.chat.completions.create(model="gemini-2.5-flash", messages=MESSAGES, tools=tools)
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "lookup" and json.loads(call.function.arguments) == {"q": "gw"}


def test_safety_block_is_content_filter(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    fakes["gemini"].script(Reply(text="", finish="SAFETY"))
    completion = client.chat.completions.create(model="gemini-2.5-flash", messages=MESSAGES)
    assert completion.choices[0].finish_reason == "content_filter"


def test_embeddings_from_gemini(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-004", input=["a", "bb"], dimensions=3)
    assert [len(d.embedding) for d in result.data] == [3, 3]
    assert result.data[1].embedding == pytest.approx([0.02, 0.03, 0.04])


def test_embeddings_base64_decoded_by_the_sdk(client: openai.OpenAI) -> None:
    result = client.embeddings.create(
        model="text-embedding-004", input="a", dimensions=2, encoding_format="base64"
    )
    assert isinstance(result.data[0].embedding, str)
