"""What a leaf returns: a complete result or a committed stream; and the circuit-open refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import UpstreamUnavailable
from gateway.ports import LimitContext, Reservation, StreamFilter
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult

__all__ = ["CircuitOpen", "LeafResult", "StreamStart"]


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
    reservation: Reservation | None = None
    limit_ctx: LimitContext | None = None


LeafResult = ChatResult | EmbeddingResult | StreamStart
