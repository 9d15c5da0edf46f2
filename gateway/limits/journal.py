"""Durable spend: settled amounts leave the request path here, and rebuild counters after a restart.

The live counters (Valkey or in-process) decide admissions; storage's `budget_periods` table keeps
the settled spend per counter and period so that counters lost to a restart (in-process) or a flush
(Valkey) start from the right figure (`BudgetLimiter.restore`). A journal entry names the counter by
its key without the prefix (`b:team-a:m202611:*`, `k:d20261126:<key id>`) and the period's first day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Protocol

from gateway.limits.nanodollars import from_nanos

__all__ = ["QueuedJournal", "SpendAdder", "SpendJournal"]

_log = logging.getLogger("gw.limits")


class SpendJournal(Protocol):
    """Receives settled spend per counter; `record` never blocks and never raises."""

    def record(self, scope_key: str, period_start: str, spent_nanos: int) -> None:
        """Queue spend settled on one counter."""
        ...


class SpendAdder(Protocol):
    """Adds spend durably: the shape of storage's `BudgetPeriodStore.add`."""

    def __call__(self, scope_key: str, start: str, *, spent_usd: float) -> Awaitable[None]:
        """Atomically add `spent_usd` to the scope's row for the period starting on `start`."""
        ...


class QueuedJournal:
    """Sums spend per counter in memory and writes the sums every `interval_s` (one upsert each).

    A failed write keeps its sum for the next flush, so a database outage delays the figures but
    loses nothing while the process lives."""

    def __init__(self, add: SpendAdder, *, interval_s: float = 1.0) -> None:
        self._add = add
        self._interval_s = interval_s
        self._pending: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def record(self, scope_key: str, period_start: str, spent_nanos: int) -> None:
        """Queue spend settled on one counter."""
        if spent_nanos:
            marker = (scope_key, period_start)
            self._pending[marker] = self._pending.get(marker, 0) + spent_nanos

    async def flush(self) -> None:
        """Write everything queued so far; keep what could not be written."""
        pending, self._pending = self._pending, {}
        for (scope_key, start), nanos in pending.items():
            try:
                await self._add(scope_key, start, spent_usd=from_nanos(nanos))
            except Exception as exc:  # any storage failure: keep the sum for the next flush
                _log.warning("could not write settled spend for %s: %s", scope_key, type(exc).__name__)
                self.record(scope_key, start, nanos)

    def start(self) -> None:
        """Start flushing in the background (call from the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="gw-spend-journal")

    async def _run(self) -> None:
        # Stopped by an event, never cancelled: a write cut short could not tell whether it committed.
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval_s)
            await self.flush()

    async def aclose(self) -> None:
        """Stop the background flush after its current write and write what is left."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()
