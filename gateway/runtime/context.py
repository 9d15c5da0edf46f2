"""The per-request mutable state: the only mutable object on the request path."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.ports import CacheStatus, GuardrailRunner, VirtualKey
from gateway.runtime.headers import RequestHeaders
from gateway.telemetry import RequestTelemetry
from gateway.usage import Usage

__all__ = ["Endpoint", "RequestContext"]

Endpoint = Literal["chat", "completions", "embeddings"]


@dataclass(slots=True)
class RequestContext:
    """What one request carries through the executor and what its response headers report."""

    headers: RequestHeaders
    endpoint: Endpoint = "chat"
    stream: bool = False
    params: dict[str, Any] = field(default_factory=dict)  # Any: the client's JSON body, as received
    started: float = field(default_factory=time.time)
    started_mono: float = field(default_factory=time.monotonic)
    deadline: float = 0.0
    """time.monotonic() value after which no attempt may start or continue."""
    route_id: str = ""
    config_hash: str = ""
    key: VirtualKey | None = None
    last_path: str = ""
    provider_id: str = ""
    provider_type: str = ""
    model: str = ""
    retry_count: int = 0
    cache_status: CacheStatus = "DISABLED"
    cache_similarity: float | None = None
    """Cosine similarity of a semantic cache hit (`x-gw-cache-similarity`)."""
    saved_usd: float | None = None
    """What a cache hit saved: the cached answer's usage at the route's prices (None: no price)."""
    attempts: list[dict[str, Any]] = field(default_factory=list)  # Any: JSON-able attempt trail
    hook_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Any: Portkey's shape
    status: int = 200
    """Status the client gets (246 when a guardrail flagged without denying)."""
    usage: Usage | None = None
    cost_usd: float | None = None
    budget_remaining_usd: float | None = None
    telemetry: RequestTelemetry | None = None
    """The request's logs/metrics/trace handle, when telemetry is on."""
    guardrails: GuardrailRunner | None = None
    """The route's own guardrail runner (header configs with inline guardrails), else None."""

    @property
    def trace_id(self) -> str:
        """The request's trace id (the client's or a generated one)."""
        return self.headers.trace_id

    def remaining_s(self) -> float:
        """Seconds left before the request's deadline."""
        return self.deadline - time.monotonic()

    def elapsed_ms(self) -> float:
        """Milliseconds since the request started."""
        return (time.monotonic() - self.started_mono) * 1000.0

    def response_headers(self) -> dict[str, str]:
        """Portkey's response headers plus gw's config hash."""
        out = {
            "x-portkey-trace-id": self.trace_id,
            "x-portkey-retry-attempt-count": str(self.retry_count),
            "x-portkey-cache-status": self.cache_status,
        }
        if self.last_path:
            out["x-portkey-last-used-option-index"] = self.last_path
        if self.provider_type:
            out["x-portkey-provider"] = self.provider_type
        if self.config_hash:
            out["x-gw-config-hash"] = self.config_hash
        if self.route_id:
            out["x-gw-route"] = self.route_id
        if self.cache_similarity is not None:
            out["x-gw-cache-similarity"] = f"{self.cache_similarity:.4f}"
        if self.budget_remaining_usd is not None:
            out["x-gw-budget-remaining"] = f"{self.budget_remaining_usd:.6f}"
        return out
