"""What a leaf returns: a complete result or a committed stream; and the circuit-open refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import UpstreamUnavailable
from gateway.ports import CacheRequest, LimitContext, Reservation, StreamFilter
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult
from gateway.usage import Usage

__all__ = ["CircuitOpen", "LeafResult", "ReplayStream", "StreamStart"]


class CircuitOpen(UpstreamUnavailable):
    """The target's circuit breaker is open: the target is skipped without a call."""

    def __init__(self, provider: str, path: str) -> None:
        super().__init__(f"circuit breaker open for {path} ({provider})", provider=provider, status=503)
        self.code = "circuit_open"


@dataclass(slots=True)
class StreamStart:
    """A committed stream: its first chunk already read, the rest still upstream."""

    stream: ChatStream
    first: list[bytes]
    """The first chunk payloads (those that arrived together with the first one)."""
    rest: AsyncIterator[list[bytes]]
    request: dict[str, Any] = field(default_factory=dict)  # Any: OpenAI request JSON as sent
    filter: StreamFilter | None = None
    buffered: bool = False
    """The route's `buffer_stream`: hold every frame until the stream (and its guardrails) finished."""
    check_output: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None  # Any: JSON
    """Buffered streams with output guardrails: check the assembled response like a complete one
    (webhook and validUrls included); returns the redacted body or None, raises on deny."""
    cache_request: CacheRequest | None = None
    """Set when the complete stream should be assembled and stored in the response cache."""
    reservation: Reservation | None = None
    limit_ctx: LimitContext | None = None


LeafResult = ChatResult | EmbeddingResult | StreamStart


class ReplayStream:
    """A cached completion replayed as a stream (cache hit on a streaming request)."""

    def __init__(self, payloads: list[bytes]) -> None:
        self.headers: dict[str, str] = {}
        self._payloads = payloads

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        for payload in self._payloads:
            yield payload

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Every chunk at once: they are all available."""
        yield self._payloads

    @property
    def usage(self) -> Usage | None:
        """A cache hit costs no tokens."""
        return Usage()

    async def aclose(self) -> None:
        """Nothing to release."""
