"""What the admin console reads: recent requests with their attempt trails, minute series, reloads.

The request path pays one `deque.append` and one `list.append` per request: the finished request's own
`RequestTelemetry` handle is kept as is (no copy, no formatting). Folding into the minute series
happens in batches of `FOLD_BATCH`, or when someone opens the console. Memory is bounded by the ring
size, the batch size and `series.MINUTES`. One feed per worker process (each worker sees its own
traffic).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from gateway.telemetry.series import FinishedRequest, Minute, MinuteSeries

__all__ = ["FOLD_BATCH", "RECENT", "ConsoleFeed", "ReloadRecord"]

RECENT = 200
"""Finished requests kept for the recent-requests table."""
FOLD_BATCH = 256
"""Pending requests folded into the series at once."""


@dataclass(frozen=True, slots=True)
class ReloadRecord:
    """The last reload attempt: when, from which hash to which, and its diagnostics."""

    at: float
    old_hash: str
    new_hash: str
    ok: bool
    diagnostics: tuple[str, ...] = ()


@dataclass(slots=True)
class ConsoleFeed:
    """Bounded in-memory history for `/ui`."""

    recent: deque[FinishedRequest] = field(default_factory=lambda: deque(maxlen=RECENT))
    series: MinuteSeries = field(default_factory=MinuteSeries)
    loaded_at: float = 0.0
    """Wall time the active config was first bound."""
    last_reload: ReloadRecord | None = None
    _pending: list[FinishedRequest] = field(default_factory=list)

    def record(self, request: FinishedRequest) -> None:
        """Keep a finished request (called once per request by `RequestTelemetry`)."""
        self.recent.append(request)
        pending = self._pending
        pending.append(request)
        if len(pending) >= FOLD_BATCH:
            self.fold()

    def fold(self) -> None:
        """Move pending requests into the minute series."""
        pending, self._pending = self._pending, []
        add = self.series.add
        for request in pending:
            add(request)

    def window(self, minutes: int, now: float | None = None) -> list[Minute]:
        """The last `minutes` minute buckets, up to date."""
        self.fold()
        return self.series.window(time.time() if now is None else now, minutes)

    def bound(self, config_hash: str, previous: str) -> None:
        """Note that a config became active (its load time, when the hash changed)."""
        if config_hash != previous or not self.loaded_at:
            self.loaded_at = time.time()

    def reloaded(self, old_hash: str, new_hash: str, ok: bool, diagnostics: list[Any]) -> None:  # Any: JSON
        """Note a reload attempt and its diagnostics."""
        lines = tuple(d if isinstance(d, str) else str(d) for d in diagnostics)
        self.last_reload = ReloadRecord(
            at=time.time(), old_hash=old_hash, new_hash=new_hash, ok=ok, diagnostics=lines
        )
