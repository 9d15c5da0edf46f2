"""Fallback across providers through gw: OpenAI says 429, Anthropic serves, the client sees OpenAI chunks."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from compiler.specs import ProviderSpec
from tests.fakes.anthropic_upstream import Reply as AnthropicReply
from tests.fakes.openai_upstream import Reply as OpenAIReply
from tests.gateway.runtime.builders import gateway, leaf, route, strategy
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Tell me about fallbacks."}]


@pytest.fixture
def client(providers: dict[str, ProviderSpec], serve: ServeFn) -> openai.OpenAI:
    tree = strategy(
        "config",
        "fallback",
        [
            leaf("config.targets[0]", "openai", overrides={"model": "gpt-4o"}),
            leaf("config.targets[1]", "anthropic", overrides={"model": "claude-fallback"}),
        ],
        on_status_codes=(429, 500, 502, 503, 504, 529),
    )
    return serve(gateway(list(providers.values()), [route("chat", tree)])).client("chat")


def test_openai_429_falls_back_to_anthropic_and_streams_openai_chunks(
    client: openai.OpenAI, fakes: dict[str, Any]
) -> None:
    fakes["openai"].script(OpenAIReply(status=429, headers={"retry-after": "30"}))
    fakes["anthropic"].script(AnthropicReply(text="Anthropic answered instead."))
    raw = client.chat.completions.with_raw_response.create(
        model="any", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    assert raw.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert raw.headers["x-portkey-provider"] == "anthropic"
    chunks = list(raw.parse())
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == "Anthropic answered instead."
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18
    assert len(fakes["openai"].requests) == 1
    assert fakes["anthropic"].requests[-1].body["model"] == "claude-fallback"


def test_openai_429_falls_back_to_anthropic_without_streaming(
    client: openai.OpenAI, fakes: dict[str, Any]
) -> None:
    fakes["openai"].script(OpenAIReply(status=429))
    completion = client.chat.completions.create(model="any", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from anthropic"
    assert completion.object == "chat.completion"


def test_anthropic_overloaded_before_the_first_byte_still_counts_as_a_failed_attempt(
    providers: dict[str, ProviderSpec], serve: ServeFn, fakes: dict[str, Any]
) -> None:
    tree = strategy(
        "config",
        "fallback",
        [leaf("config.targets[0]", "anthropic"), leaf("config.targets[1]", "openai")],
        on_status_codes=(529,),
    )
    client = serve(gateway(list(providers.values()), [route("chat", tree)])).client("chat")
    overloaded = {"type": "overloaded_error", "message": "Overloaded"}
    fakes["anthropic"].script(AnthropicReply(text="", stream_error=overloaded))
    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello from openai"
