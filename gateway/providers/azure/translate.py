"""Pure functions for Azure OpenAI: deployment URLs, Azure-only field removal, stream chunk filtering.

Request bodies are OpenAI's and go through unchanged (Azure refuses what it does not support with its
own 400, which keeps its status); errors use the OpenAI adapter's mapping, as the shape is OpenAI's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.azure.wire import (
    AZURE_ONLY_CHOICE_FIELDS,
    AZURE_ONLY_FIELDS,
    DEFAULT_API_VERSION,
    SURFACED_HEADERS,
)
from gateway.providers.openai.translate import usage_from
from gateway.usage import Usage

__all__ = ["AzureChunkFilter", "deployment_url", "strip_azure_fields", "surfaced_headers"]

_DECODE = msgspec.json.Decoder()


def deployment_url(
    base_url: str, model: Any, operation: str, *, deployments: Mapping[str, str], api_version: str | None
) -> str:  # Any: the request's `model` value
    """Return `{base}/openai/deployments/{deployment}/{operation}?api-version=…` for a model."""
    base = base_url.rstrip("/")
    base = base.removesuffix("/openai")
    name = str(model or "")
    deployment = deployments.get(name, name)
    version = quote(api_version or DEFAULT_API_VERSION, safe="")
    return f"{base}/openai/deployments/{quote(deployment, safe='')}/{operation}?api-version={version}"


def strip_azure_fields(body: dict[str, Any]) -> dict[str, Any]:  # Any: OpenAI JSON
    """Remove Azure-only members from a completion or chunk (strict routes), in place."""
    for name in AZURE_ONLY_FIELDS:
        body.pop(name, None)
    for choice in body.get("choices") or ():
        if isinstance(choice, dict):
            for name in AZURE_ONLY_CHOICE_FIELDS:
                choice.pop(name, None)
    return body


def surfaced_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Azure's rate-limit, retry and request-id headers worth passing on."""
    return {name: headers[name] for name in SURFACED_HEADERS if name in headers}


class AzureChunkFilter:
    """Passes Azure's OpenAI chunks on: drops Azure-only data on strict routes, learns usage.

    Implements the ChunkTranslator protocol of `gateway.providers.translated_stream`.
    """

    def __init__(self, *, strict: bool, show_usage_chunk: bool, provider: str) -> None:
        self._strict = strict
        self._show_usage_chunk = show_usage_chunk
        self._provider = provider
        self._usage: Usage | None = None
        self._finished = False

    @property
    def usage(self) -> Usage | None:
        """Usage from the usage chunk, once seen."""
        return self._usage

    def feed(self, payload: bytes) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Filter one chunk."""
        item = _DECODE.decode(payload)
        if not isinstance(item, dict):
            return []
        if isinstance(item.get("error"), dict):
            message = f"azure-openai error: {item['error'].get('message', 'unknown')}"
            raise UpstreamError(message, status=500, provider=self._provider)
        choices = item.get("choices") or []
        if any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
            self._finished = True
        if isinstance(item.get("usage"), dict):
            self._usage = usage_from(item)
            if not choices:
                return [item] if self._show_usage_chunk else []
        if not choices:
            # Azure's first chunk carries only prompt_filter_results.
            return [] if self._strict else [item]
        return [strip_azure_fields(item) if self._strict else item]

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Check a finish_reason was seen before the stream ended."""
        if not self._finished:
            raise StreamBroken(f"{self._provider} stream ended before a finish_reason")
        return []
