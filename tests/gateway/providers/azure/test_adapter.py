"""AzureOpenAIAdapter over real loopback HTTP against the fake Azure OpenAI resource."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.errors import UpstreamError
from gateway.providers.azure.adapter import AzureOpenAIAdapter
from gateway.providers.base import ProviderCall
from gateway.providers.transport import HttpTransport
from tests.fakes.azure_upstream import API_KEY, FakeAzureOpenAI, Reply, ToolCall, azure_error


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeAzureOpenAI]:
    with FakeAzureOpenAI() as fake:
        yield fake


@pytest.fixture
async def adapter(upstream: FakeAzureOpenAI) -> AsyncIterator[AzureOpenAIAdapter]:
    upstream.reset()
    transport = HttpTransport()
    yield AzureOpenAIAdapter(None, transport)
    await transport.aclose()


def call(upstream: FakeAzureOpenAI, body: dict[str, Any], **kw: Any) -> ProviderCall:
    kw.setdefault("api_key", API_KEY)
    kw.setdefault("deployments", {"gpt-4o": "gpt-4o-prod", "text-embedding-3-small": "embed-prod"})
    return ProviderCall(provider_id="az", body=body, base_url=upstream.url, **kw)


HI = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


async def test_chat_goes_to_the_deployment_with_api_key_and_version(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    result = await adapter.chat(call(upstream, HI))
    sent = upstream.requests[-1]
    assert sent.path == "/openai/deployments/gpt-4o-prod/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == API_KEY
    assert "authorization" not in {k.lower() for k in sent.headers}
    assert result.body["choices"][0]["message"]["content"] == "hello from azure"
    assert "prompt_filter_results" not in result.body
    assert result.usage.total_tokens == 23


async def test_lenient_route_keeps_azure_filter_results(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    result = await adapter.chat(call(upstream, HI, strict_openai_compliance=False))
    assert "prompt_filter_results" in result.body


async def test_unknown_deployment_is_azures_404(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, {**HI, "model": "gpt-5"}))
    assert (info.value.status, info.value.code) == (404, "DeploymentNotFound")


async def test_unsupported_api_version_is_azures_404(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI, api_version="1999-01-01"))
    assert info.value.status == 404 and "Resource not found" in info.value.message


async def test_wrong_key_is_401_and_the_key_never_appears_in_the_error(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI, api_key="secret-wrong-key"))
    assert info.value.status == 401
    assert "secret-wrong-key" not in json.dumps(info.value.body())


async def test_rate_limit_surfaces_retry_after(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    upstream.script(Reply(status=429, headers={"retry-after": "6", "x-ratelimit-remaining-tokens": "0"}))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI))
    assert (info.value.status, info.value.retry_after_s) == (429, 6.0)
    assert info.value.headers["x-ratelimit-remaining-tokens"] == "0"


async def test_content_filter_400_keeps_its_code(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    upstream.script(Reply(status=400, body=azure_error(400, "filtered", "content_filter")))
    with pytest.raises(UpstreamError) as info:
        await adapter.chat(call(upstream, HI))
    assert (info.value.status, info.value.code) == (400, "content_filter")


async def test_stream_hides_filter_chunk_and_unrequested_usage(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    upstream.script(Reply(text="Streaming from Azure."))
    stream = await adapter.chat_stream(call(upstream, {**HI, "stream": True}))
    chunks = [json.loads(c) async for c in stream]
    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    assert all(c["choices"] for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Streaming from Azure."
    assert stream.usage is not None and stream.usage.total_tokens == 23


async def test_stream_shows_usage_when_asked(adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI) -> None:
    body = {**HI, "stream": True, "stream_options": {"include_usage": True}}
    stream = await adapter.chat_stream(call(upstream, body))
    chunks = [json.loads(c) async for c in stream]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 23


async def test_embeddings_use_the_embedding_deployment(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    body = {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "dimensions": 2,
        "encoding_format": "float",
    }
    result = await adapter.embed(call(upstream, body))
    sent = upstream.requests[-1]
    assert sent.path == "/openai/deployments/embed-prod/embeddings"
    assert sent.body["dimensions"] == 2
    assert [d["embedding"] for d in result.body["data"]] == [[0.5, 0.5], [0.5, 0.5]]
    assert result.usage.prompt_tokens == 4


async def test_images_and_tools_pass_through_in_openai_format(
    adapter: AzureOpenAIAdapter, upstream: FakeAzureOpenAI
) -> None:
    upstream.script(Reply(text="", tool_calls=[ToolCall("call_1", "describe", {"what": "cat"})]))
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
    tools = [{"type": "function", "function": {"name": "describe", "parameters": {"type": "object"}}}]
    result = await adapter.chat(call(upstream, {**HI, "messages": messages, "tools": tools}))
    assert upstream.requests[-1].body["messages"] == messages
    assert upstream.requests[-1].body["tools"] == tools
    assert result.body["choices"][0]["finish_reason"] == "tool_calls"
    assert result.body["choices"][0]["message"]["tool_calls"][0]["id"] == "call_1"
