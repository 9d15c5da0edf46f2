"""Ollama (native API) through gw, driven by the official OpenAI SDK (chat, stream, embeddings)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from compiler.specs import ProviderSpec
from tests.gateway.runtime.builders import gateway, leaf, provider, route
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def client(providers: dict[str, ProviderSpec], serve: ServeFn) -> openai.OpenAI:
    return serve(gateway(list(providers.values()), [route("local", leaf("config", "ollama"))])).client(
        "local"
    )


def test_chat_completion_from_ollama(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    completion = client.chat.completions.create(model="llama3.2", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from ollama"
    assert completion.usage is not None and completion.usage.prompt_tokens == 26
    assert fakes["ollama"].requests[-1].body["stream"] is False


def test_streamed_completion_from_ollama(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="llama3.2", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello from ollama"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_unknown_model_keeps_ollamas_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="missing-llama", messages=MESSAGES)


def test_embeddings_from_ollama(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="nomic-embed-text", input=["ab", "abcd"], encoding_format="float")
    assert [d.index for d in result.data] == [0, 1]
    assert result.usage.prompt_tokens == 4


def test_ollama_openai_compatible_mode_is_an_openai_compatible_provider(
    providers: dict[str, ProviderSpec], serve: ServeFn, fakes: dict[str, Any]
) -> None:
    compat = provider("ollama-v1", fakes["ollama"].url + "/v1", type="openai-compatible")
    compiled = gateway([*providers.values(), compat], [route("v1", leaf("config", "ollama-v1"))])
    client = serve(compiled).client("v1")
    completion = client.chat.completions.create(model="llama3.2", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from ollama"
    chunks = list(client.chat.completions.create(model="llama3.2", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello from ollama"
    assert fakes["ollama"].requests[-1].path == "/v1/chat/completions"
