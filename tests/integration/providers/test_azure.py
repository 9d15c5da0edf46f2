"""Azure OpenAI through gw, driven by the official OpenAI SDK (chat, stream, embeddings)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from compiler.specs import ProviderSpec
from tests.fakes.azure_upstream import Reply
from tests.gateway.runtime.builders import gateway, leaf, route
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def client(providers: dict[str, ProviderSpec], serve: ServeFn) -> openai.OpenAI:
    return serve(gateway(list(providers.values()), [route("az", leaf("config", "azure"))])).client("az")


def test_chat_completion_from_azure(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from azure"
    sent = fakes["azure"].requests[-1]
    assert sent.path == "/openai/deployments/gpt-4o-prod/chat/completions"
    assert sent.query["api-version"] == "2024-10-21"


def test_streamed_completion_from_azure(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "hello from azure"


def test_azure_rate_limit_keeps_429(client: openai.OpenAI, fakes: dict[str, Any]) -> None:
    fakes["azure"].script(Reply(status=429, headers={"retry-after": "1"}))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_embeddings_from_azure(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"], dimensions=2)
    assert [d.embedding for d in result.data] == [[0.5, 0.5], [0.5, 0.5]]
