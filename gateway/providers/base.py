"""The contract every provider adapter implements, and the types that cross it.

The gateway speaks OpenAI's format internally. An adapter receives an OpenAI-format request body
(override_params already merged, model resolved) in a `ProviderCall` and returns OpenAI-format results:

- `chat()` → `ChatResult` (a `chat.completion` object, plus normalised `Usage`);
- `chat_stream()` → `ChatStream`, opened only once the upstream answered 2xx, so the executor can
  still fail over; iterating it yields OpenAI `chat.completion.chunk` JSON bytes (`data:` payloads);
- `embed()` → `EmbeddingResult` (an OpenAI `list` of embeddings).

Errors before the first byte are `gateway.errors.UpstreamError` (with the provider's status, so
`on_status_codes` works alike for every provider), `UpstreamTimeout` or `UpstreamUnavailable`.
A failure while iterating a stream raises `StreamBroken`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import msgspec

from gateway.usage import Usage

__all__ = [
    "ChatResult",
    "ChatStream",
    "EmbeddingResult",
    "ProviderAdapter",
    "ProviderCall",
    "Usage",
]


class ProviderCall(msgspec.Struct, kw_only=True):
    """Everything one attempt against one provider needs; built by the executor per attempt."""

    provider_id: str
    """Id of the provider (manifest id or header-config slot), for errors and telemetry."""
    body: dict[str, Any]  # Any: OpenAI request JSON, forwarded as-is where the provider allows
    base_url: str
    """Effective base URL (custom_host or the provider's), without a trailing slash."""
    api_key: str | None = None
    """Resolved credential; never logged, never put in an error."""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Extra headers: the provider's configured ones plus forwarded client headers."""
    timeout_s: float = 60.0
    """Per-attempt timeout, already capped by the request's remaining deadline."""
    api_version: str | None = None
    deployments: dict[str, str] = msgspec.field(default_factory=dict)
    strict_openai_compliance: bool = True
    """True: drop fields the provider does not support; False: pass provider-specific fields through."""
    trace_id: str = ""


class ChatResult(msgspec.Struct, kw_only=True):
    """A complete, successful chat completion in OpenAI's shape."""

    body: dict[str, Any]  # Any: OpenAI `chat.completion` JSON
    usage: Usage
    status: int = 200
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Upstream headers worth surfacing (rate limits, request ids)."""
    raw: bytes | None = None
    """The upstream's bytes when they are already the OpenAI body (lets the gateway skip re-encoding)."""


class EmbeddingResult(msgspec.Struct, kw_only=True):
    """A successful embeddings response in OpenAI's shape."""

    body: dict[str, Any]  # Any: OpenAI embeddings `list` JSON
    usage: Usage
    status: int = 200
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    raw: bytes | None = None


class ChatStream(Protocol):
    """An open upstream stream (already answered 2xx) yielding OpenAI chunk JSON payloads."""

    headers: dict[str, str]

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield each `chat.completion.chunk` as JSON bytes (no `data:` framing, no `[DONE]`)."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Usage reported by the stream, known once it is exhausted."""
        ...

    async def aclose(self) -> None:
        """Release the upstream connection (idempotent)."""
        ...


class ProviderAdapter(Protocol):
    """One instance per provider spec; holds its pooled HTTP client."""

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request."""
        ...

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open a streamed chat request; raises before returning if the upstream refused it."""
        ...

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Create embeddings."""
        ...

    async def aclose(self) -> None:
        """Close pooled connections."""
        ...
