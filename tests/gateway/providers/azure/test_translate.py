"""Azure OpenAI pure functions: deployment URLs, Azure-only fields, stream chunk filtering, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import StreamBroken
from gateway.providers.azure.translate import AzureChunkFilter, deployment_url, strip_azure_fields
from gateway.providers.openai.translate import error_from_reply, usage_from

FIXTURES = Path(__file__).parent / "fixtures"


def payloads(name: str) -> list[bytes]:
    lines = (FIXTURES / name).read_text().splitlines()
    return [line[6:].encode() for line in lines if line.startswith("data: ") and line != "data: [DONE]"]


def test_deployment_url_maps_model_to_deployment_and_adds_api_version() -> None:
    url = deployment_url(
        "https://contoso.openai.azure.com/",
        "gpt-4o",
        "chat/completions",
        deployments={"gpt-4o": "gpt4o-prod"},
        api_version=None,
    )
    assert (
        url
        == "https://contoso.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
    )


def test_deployment_url_uses_the_model_name_when_no_mapping_and_accepts_openai_suffix() -> None:
    url = deployment_url(
        "https://r.openai.azure.com/openai", "my-dep", "embeddings", deployments={}, api_version="2024-06-01"
    )
    assert url == "https://r.openai.azure.com/openai/deployments/my-dep/embeddings?api-version=2024-06-01"


def test_strict_routes_lose_azure_only_fields_but_keep_usage_details() -> None:
    body = strip_azure_fields(json.loads((FIXTURES / "completion_with_filters.json").read_text()))
    assert "prompt_filter_results" not in body
    assert "content_filter_results" not in body["choices"][0]
    usage = usage_from(body)
    assert (usage.prompt_tokens, usage.cached_read_tokens, usage.completion_tokens) == (1536, 1280, 9)


def test_stream_filter_drops_the_prompt_filter_chunk_on_strict_routes() -> None:
    f = AzureChunkFilter(strict=True, show_usage_chunk=False, provider="az")
    chunks = [c for p in payloads("stream.sse") for c in f.feed(p)] + f.finish()
    assert all(c["choices"] for c in chunks)
    assert all("content_filter_results" not in c["choices"][0] for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello"
    assert f.usage is not None and f.usage.total_tokens == 11


def test_stream_filter_keeps_azure_data_on_lenient_routes_and_shows_usage_when_asked() -> None:
    f = AzureChunkFilter(strict=False, show_usage_chunk=True, provider="az")
    chunks = [c for p in payloads("stream.sse") for c in f.feed(p)]
    assert "prompt_filter_results" in chunks[0]
    assert chunks[-1]["usage"]["total_tokens"] == 11


def test_stream_without_finish_reason_is_broken() -> None:
    f = AzureChunkFilter(strict=True, show_usage_chunk=False, provider="az")
    for p in payloads("stream.sse")[:3]:
        f.feed(p)
    with pytest.raises(StreamBroken):
        f.finish()


def test_content_filter_error_keeps_400_and_code() -> None:
    error = error_from_reply(
        "az", 400, {}, (FIXTURES / "error_content_filter.json").read_bytes(), label="azure-openai"
    )
    assert (error.status, error.code, error.param) == (400, "content_filter", "prompt")
    assert "content management policy" in error.message


def test_rate_limit_error_keeps_429_and_retry_after_ms() -> None:
    headers = {"retry-after": "6", "x-ms-retry-after-ms": "6000"}
    error = error_from_reply(
        "az", 429, headers, (FIXTURES / "error_rate_limit.json").read_bytes(), label="azure-openai"
    )
    assert (error.status, error.retry_after_s) == (429, 6.0)
    assert error.code == "429"
