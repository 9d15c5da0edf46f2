"""Per-minute time series for the admin console: traffic, latency, spend, cache hit rate, verdicts.

One `Minute` bucket per wall-clock minute, the last `MINUTES` kept (older ones fall off a deque), so
memory is bounded whatever the traffic: each bucket holds a fixed latency histogram and at most
`MAX_KEYS` spend entries per dimension (the rest is summed under `other`). Filled in batches by
`ConsoleFeed`, never by the request itself.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["LATENCY_BOUNDS_MS", "MAX_KEYS", "MINUTES", "FinishedRequest", "Minute", "MinuteSeries"]

MINUTES = 60
"""How many minutes of history are kept."""
MAX_KEYS = 32
"""Distinct keys, routes or models tracked per minute and dimension; the rest count as `other`."""
LATENCY_BOUNDS_MS: tuple[float, ...] = tuple(round(0.1 * 1.25**i, 3) for i in range(64))
"""Upper bounds of the latency histogram (0.1 ms to ~160 s, 25 % apart: percentiles within 25 %)."""
_DIMENSIONS = ("key", "route", "model")


class FinishedRequest(Protocol):
    """What a bucket reads from a finished request (`RequestTelemetry` provides it)."""

    trace_id: str
    route: str
    model: str | None
    key_id: str | None
    stream: bool
    finished_at: float
    status: int
    latency_ms: float
    cost_usd: float | None
    cache_status: str
    guardrails: list[dict[str, str]]
    tokens: int
    error: str | None
    attempts: list[dict[str, Any]]  # Any: JSON log values


@dataclass(slots=True)
class Minute:
    """Totals for one wall-clock minute."""

    start: int
    """Epoch seconds at the start of the minute."""
    requests: int = 0
    errors: int = 0
    """Requests answered with a status of 500 or more."""
    refused: int = 0
    """Requests answered with a 4xx status."""
    cost_usd: float = 0.0
    tokens: int = 0
    cache_hits: int = 0
    cache_lookups: int = 0
    latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))
    spend: dict[tuple[str, str], float] = field(default_factory=dict)
    """Cost by `(dimension, value)`, dimension one of `key`, `route`, `model`."""
    verdicts: dict[tuple[str, str], int] = field(default_factory=dict)
    """Guardrail verdict counts by `(guardrail id, verdict)`."""

    def add(self, req: FinishedRequest) -> None:
        """Fold one finished request into the bucket."""
        self.requests += 1
        if req.status >= 500:
            self.errors += 1
        elif req.status >= 400:
            self.refused += 1
        self.latency[bisect.bisect_left(LATENCY_BOUNDS_MS, req.latency_ms)] += 1
        self.tokens += req.tokens
        if req.cache_status not in ("DISABLED", ""):
            self.cache_lookups += 1
            if req.cache_status.startswith("HIT"):
                self.cache_hits += 1
        for check in req.guardrails:
            verdict = (check.get("id", "?"), check.get("verdict", "?"))
            if verdict in self.verdicts or len(self.verdicts) < MAX_KEYS:
                self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        cost = req.cost_usd
        if cost:
            self.cost_usd += cost
            for dim, value in zip(_DIMENSIONS, (req.key_id, req.route, req.model), strict=True):
                self._spend(dim, value or "(none)", cost)

    def _spend(self, dim: str, value: str, cost: float) -> None:
        key = (dim, value)
        if key not in self.spend and sum(1 for d, _ in self.spend if d == dim) >= MAX_KEYS:
            key = (dim, "other")
        self.spend[key] = self.spend.get(key, 0.0) + cost

    def percentile_ms(self, q: float) -> float | None:
        """The latency under which a fraction `q` of the minute's requests finished (bucket bound)."""
        if self.requests == 0:
            return None
        rank = max(1, math.ceil(q * self.requests))
        seen = 0
        for index, count in enumerate(self.latency):
            seen += count
            if seen >= rank:
                return LATENCY_BOUNDS_MS[min(index, len(LATENCY_BOUNDS_MS) - 1)]
        return LATENCY_BOUNDS_MS[-1]

    @property
    def hit_rate(self) -> float | None:
        """Cache hits over lookups (None when the cache was not consulted)."""
        return self.cache_hits / self.cache_lookups if self.cache_lookups else None


class MinuteSeries:
    """The last `MINUTES` minutes as buckets, oldest first."""

    def __init__(self, minutes: int = MINUTES) -> None:
        self.buckets: deque[Minute] = deque(maxlen=minutes)

    def add(self, req: FinishedRequest) -> None:
        """Fold a finished request into the bucket of the minute it finished in."""
        start = int(req.finished_at // 60) * 60
        bucket = self._bucket(start)
        if bucket is not None:
            bucket.add(req)

    def _bucket(self, start: int) -> Minute | None:
        buckets = self.buckets
        if not buckets or start > buckets[-1].start:
            buckets.append(Minute(start=start))
            return buckets[-1]
        for index in range(len(buckets) - 1, -1, -1):  # a batch may hold earlier minutes' requests
            bucket = buckets[index]
            if bucket.start == start:
                return bucket
            if bucket.start < start:
                if len(buckets) == buckets.maxlen:
                    return None
                buckets.insert(index + 1, Minute(start=start))
                return buckets[index + 1]
        return None  # older than the history kept

    def window(self, now: float, minutes: int) -> list[Minute]:
        """The last `minutes` minutes up to `now`, one bucket each (empty ones for quiet minutes)."""
        last = int(now // 60) * 60
        have = {b.start: b for b in self.buckets}
        starts: Iterable[int] = range(last - 60 * (minutes - 1), last + 1, 60)
        return [have.get(s) or Minute(start=s) for s in starts]
