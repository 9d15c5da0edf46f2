"""The seams between the executor and the components it drives.

`gateway.runtime` composes these; `gateway.cache`, `gateway.guardrails`, `gateway.limits` and
`gateway.storage` implement them structurally (no import of the runtime, which sits above them).
Every port is optional: the executor runs without a cache, guardrails or limits configured.

Order in the executor (Portkey's, with gw's fixes):

    authenticate (KeyStore) ─ limits.admit_request (rate limits) ─ input guardrails (route + policy)
    ─ routing tree; per leaf: leaf input guardrails ─ cache.lookup ─ limits.reserve ─ provider call
      (retries) ─ output guardrails ─ cache.store ─ limits.settle
    ─ usage.record (ledger, off the request path)
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import msgspec

from compiler.specs import CacheSpec, GuardrailSpec
from gateway.usage import Usage

__all__ = [
    "CacheLookup",
    "CacheRequest",
    "CacheStatus",
    "CheckContext",
    "GuardrailOutcome",
    "GuardrailRunner",
    "KeyStore",
    "LimitContext",
    "Limiter",
    "Reservation",
    "ResponseCache",
    "StreamFilter",
    "StreamStep",
    "UsageRecord",
    "UsageSink",
    "VirtualKey",
]

CacheStatus = Literal["HIT", "SEMANTIC HIT", "MISS", "SEMANTIC MISS", "REFRESH", "DISABLED"]


# --------------------------------------------------------------------------- keys


class VirtualKey(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated gw key: who is calling and what they may do (no secret material)."""

    id: str
    name: str = ""
    tags: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    allowed_routes: tuple[str, ...] = ()
    """Empty means every route."""
    allowed_models: tuple[str, ...] = ()
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    budget_usd: float | None = None
    budget_period: Literal["daily", "monthly", "total"] = "monthly"


class KeyStore(Protocol):
    """Resolves `Authorization: Bearer gw-…` to a VirtualKey."""

    async def authenticate(self, token: str) -> VirtualKey:
        """Return the key, or raise gateway.errors.AuthError (unknown, revoked, expired)."""
        ...


# --------------------------------------------------------------------------- cache


class CacheRequest(msgspec.Struct, kw_only=True):
    """What the cache needs to look up or store one leaf's response."""

    spec: CacheSpec
    body: dict[str, Any]  # Any: the final OpenAI request body (override_params applied)
    partition: str
    """Tenant partition (key id / tag / "" per policy) plus `x-portkey-cache-namespace`."""
    provider_id: str
    route_id: str = ""
    force_refresh: bool = False


class CacheLookup(msgspec.Struct, kw_only=True):
    """The result of a lookup; `response` is an OpenAI `chat.completion` body on a hit."""

    status: CacheStatus
    response: dict[str, Any] | None = None  # Any: OpenAI JSON
    similarity: float | None = None


class ResponseCache(Protocol):
    """Exact and semantic response cache; never raises to the caller (degrades to MISS)."""

    async def lookup(self, request: CacheRequest) -> CacheLookup:
        """Find a stored response for the request."""
        ...

    async def store(self, request: CacheRequest, response: dict[str, Any]) -> None:  # Any: OpenAI JSON
        """Store a successful, complete response."""
        ...


# --------------------------------------------------------------------------- guardrails


class CheckContext(msgspec.Struct, kw_only=True):
    """Request facts that checks may read (metadata, model, route)."""

    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    model: str | None = None
    route_id: str = ""
    trace_id: str = ""


class GuardrailOutcome(msgspec.Struct, kw_only=True):
    """The verdict of a set of guardrails on one request or response."""

    verdict: Literal["pass", "flag", "deny"] = "pass"
    body: dict[str, Any] | None = None  # Any: the redacted body, when a redact guardrail changed it
    hook_results: list[dict[str, Any]] = msgspec.field(default_factory=list)  # Any: Portkey's shape
    redacted: tuple[str, ...] = ()
    """Kinds of data redacted (e.g. `email`), never the data."""


class StreamStep(msgspec.Struct, kw_only=True):
    """What to send after feeding one chunk: chunks to emit now, and whether to stop with a denial."""

    emit: list[dict[str, Any]] = msgspec.field(default_factory=list)  # Any: OpenAI chunk JSON
    deny: GuardrailOutcome | None = None


class StreamFilter(Protocol):
    """Output guardrails over a stream: may hold text back, rewrite it, or deny before it is sent."""

    def feed(self, chunk: dict[str, Any]) -> StreamStep:  # Any: OpenAI chunk JSON
        """Accept one upstream chunk."""
        ...

    def finish(self) -> tuple[StreamStep, GuardrailOutcome]:
        """Flush held-back text at end of stream and give the final verdict."""
        ...


class GuardrailRunner(Protocol):
    """Runs compiled guardrails by id."""

    async def check_input(
        self, guardrail_ids: tuple[str, ...], body: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:
        """Check (and maybe redact) a request body."""
        ...

    async def check_output(
        self,
        guardrail_ids: tuple[str, ...],
        response: dict[str, Any],
        request: dict[str, Any],
        ctx: CheckContext,
    ) -> GuardrailOutcome:
        """Check (and maybe redact) a complete response body."""
        ...

    def stream_filter(
        self, guardrail_ids: tuple[str, ...], request: dict[str, Any], ctx: CheckContext
    ) -> StreamFilter | None:
        """Return a filter for a streamed response, or None when no output guardrail applies."""
        ...

    def extended(self, guardrails: tuple[GuardrailSpec, ...]) -> GuardrailRunner:
        """A runner that also knows `guardrails` (a header config's inline ones); ValueError if bad."""
        ...


# --------------------------------------------------------------------------- limits


class LimitContext(msgspec.Struct, kw_only=True):
    """Who is calling and what: the facts budgets and rate limits are scoped by."""

    key: VirtualKey | None = None
    route_id: str = ""
    provider_id: str = ""
    provider_type: str = ""
    model: str = ""
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    estimated_prompt_tokens: int = 0
    max_tokens: int | None = None


class Reservation(msgspec.Struct, kw_only=True):
    """Money and tokens held for one in-flight call, settled or released exactly once."""

    id: str
    holds: tuple[tuple[str, float], ...] = ()
    """(budget counter key, USD reserved) pairs."""
    remaining_usd: float | None = None
    """Smallest remaining budget among the scopes, for `x-gw-budget-remaining`."""
    limits_usd: tuple[float | None, ...] = ()
    """Limit of each hold's budget (None for alert-only budgets), parallel to `holds`."""
    alerts: tuple[str, ...] = ()
    """Alert-only budgets this reservation would take past their limit (allowed, reported)."""


class Limiter(Protocol):
    """Budgets (reserve → settle) and rate limits, atomic in Valkey or in-process."""

    async def admit_request(self, ctx: LimitContext) -> None:
        """Count the request against rate limits; raise LimitExceeded (with Retry-After) when over."""
        ...

    async def reserve(self, ctx: LimitContext) -> Reservation:
        """Reserve the estimated maximum cost; raise LimitExceeded (`budget_exceeded`) when over."""
        ...

    async def settle(self, reservation: Reservation, ctx: LimitContext, usage: Usage | None) -> float | None:
        """Replace the reservation with the actual cost (None usage releases it); return the cost."""
        ...


# --------------------------------------------------------------------------- ledger


class UsageRecord(msgspec.Struct, kw_only=True):
    """One ledger row per request."""

    trace_id: str
    ts: float
    """Unix time the request started."""
    key_id: str | None = None
    route_id: str = ""
    target_path: str = ""
    provider_id: str = ""
    model: str = ""
    usage: Usage = msgspec.field(default_factory=Usage)
    cost_usd: float | None = None
    """None when the model has no price (counted, never silently 0)."""
    saved_usd: float | None = None
    """Cost avoided by a cache hit."""
    cache_status: str = "DISABLED"
    status: int = 200
    latency_ms: float = 0.0
    config_hash: str = ""


class UsageSink(Protocol):
    """Takes ledger rows off the request path (batched; spooled to disk when the database is down)."""

    def record(self, row: UsageRecord) -> None:
        """Queue a row; never blocks, never raises."""
        ...
