"""The usage ledger sink: `record()` on the request path, batched inserts off it, a spool for outages.

`record` writes the row ahead to this process's write-ahead segment (one `write(2)`, see
`write_ahead.py`) and appends it to an in-memory list; it never blocks and never raises. A background
task wakes every `flush_interval_s` (or when a batch fills), and inserts pending rows in one transaction
per batch. If an insert fails the batch goes to the spool file (fsync'd) and, from then on, new
batches go straight to the spool until a replay succeeds (tried every `retry_interval_s`), so rows
keep their order of arrival on disk and the database is not hammered while it is down.

Exactly once: each row gets a uuid when recorded; inserts are `ON CONFLICT (id) DO NOTHING`, so a
batch that committed but whose acknowledgement was lost, or a spool replay interrupted half-way,
never duplicates a row. `aclose()` flushes everything to the database or, failing that, the spool;
the next `start()` replays what is left, and re-queues the rows of write-ahead segments that a killed
process left behind (rows it had already inserted are skipped by id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.ports import UsageRecord
from gateway.storage.deadline import Deadlines
from gateway.storage.models import LedgerRow
from gateway.storage.spool import Spool
from gateway.storage.write_ahead import WriteAhead

__all__ = ["LedgerSink", "LedgerStats", "ledger_columns"]

log = logging.getLogger(__name__)

Columns = dict[str, Any]  # Any: ledger column values (str, int, float, None)


def ledger_columns(row: UsageRecord, row_id: str | None = None) -> Columns:
    """The `usage_ledger` columns for one record (a fresh uuid unless given)."""
    usage = row.usage
    return {
        "id": row_id or str(uuid.uuid4()),
        "trace_id": row.trace_id,
        "ts": row.ts,
        "day": datetime.fromtimestamp(row.ts, UTC).strftime("%Y-%m-%d"),
        "key_id": row.key_id,
        "route_id": row.route_id,
        "target_path": row.target_path,
        "provider_id": row.provider_id,
        "model": row.model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cached_read_tokens": usage.cached_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cost_usd": row.cost_usd,
        "saved_usd": row.saved_usd,
        "cache_status": row.cache_status,
        "status": row.status,
        "latency_ms": row.latency_ms,
        "config_hash": row.config_hash,
    }


class LedgerStats(msgspec.Struct, kw_only=True):
    """Counters for metrics and tests."""

    recorded: int = 0
    inserted: int = 0
    """Rows sent to the database straight from memory."""
    spooled: int = 0
    replayed: int = 0
    """Rows sent to the database from the spool (some may have been there already)."""
    failures: int = 0
    pending: int = 0
    recovered: int = 0
    """Rows re-queued from write-ahead segments a killed process left."""
    unjournaled: int = 0
    """Rows the write-ahead log could not take (disk refused); they lived in memory only."""


class LedgerSink:
    """Implements `gateway.ports.UsageSink` over `usage_ledger`."""

    def __init__(
        self,
        engine: AsyncEngine,
        spool_path: Path,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 0.25,
        retry_interval_s: float = 1.0,
        insert_timeout_s: float = 10.0,
    ) -> None:
        self._engine = engine
        self._spool = Spool(spool_path)
        self._ahead = WriteAhead(spool_path.with_name(spool_path.name + ".wal"))
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._retry_interval_s = retry_interval_s
        self._insert_timeout_s = insert_timeout_s
        self._pending: list[Columns] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._degraded = False
        self._next_retry = 0.0
        self._deadlines = Deadlines()
        self.stats = LedgerStats()

    def record(self, row: UsageRecord) -> None:
        """Queue a row; never blocks, never raises."""
        try:
            columns = ledger_columns(row)
            self._write_ahead(columns)
            self._pending.append(columns)
            self.stats.recorded += 1
            if len(self._pending) >= self._batch_size:
                self._wake.set()
        except Exception:
            # The request path must not fail because of bookkeeping; the log says what was lost.
            log.exception("usage row could not be queued", extra={"gw.trace_id": row.trace_id})

    def _write_ahead(self, columns: Columns) -> None:
        try:
            self._ahead.write(columns)
        except OSError as exc:
            if not self.stats.unjournaled:
                log.warning(
                    "usage ledger write-ahead log unwritable; rows are in memory only until stored",
                    extra={"gw.error": type(exc).__name__},
                )
            self.stats.unjournaled += 1

    async def start(self) -> None:
        """Start the background writer (replaying any spool, and re-queueing any write-ahead rows,
        that a previous run left)."""
        if self._task is None:
            orphans = await asyncio.to_thread(self._ahead.adopt_orphans)
            self._pending[:0] = orphans
            self.stats.recovered += len(orphans)
            self._degraded = await asyncio.to_thread(self._spool.has_rows)
            self._task = asyncio.create_task(self._run(), name="gw-ledger-writer")

    async def aclose(self) -> None:
        """Stop the writer and flush every pending row to the database or the spool."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._flush()
        if not self._pending:
            self._ahead.close()  # nothing left to protect; rows still pending keep their segments

    async def __aenter__(self) -> LedgerSink:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_interval_s)
            self._wake.clear()
            try:
                await self._flush()
            except Exception:
                log.exception("ledger writer iteration failed; retrying")
                self.stats.failures += 1

    async def _flush(self) -> None:
        # Rows recorded from here on go to a new segment; the held ones are deleted only once every
        # row they hold is in the database or the spool (a failed spool write keeps them).
        self._ahead.rotate()
        if self._degraded and not await self._try_replay():
            await self._to_spool(self._take())
            self._ahead.retire()
            return
        while self._pending:
            batch = self._take(self._batch_size)
            try:
                await self._deadlines.run(self._insert(batch), self._insert_timeout_s)
            except Exception as exc:
                self._enter_degraded(exc)
                await self._to_spool(batch + self._take())
                self._ahead.retire()
                return
            self.stats.inserted += len(batch)
        self.stats.pending = 0
        self._ahead.retire()

    def _take(self, limit: int | None = None) -> list[Columns]:
        cut = len(self._pending) if limit is None else limit
        batch, self._pending = self._pending[:cut], self._pending[cut:]
        self.stats.pending = len(self._pending)
        return batch

    async def _to_spool(self, rows: list[Columns]) -> None:
        if not rows:
            return
        try:
            await asyncio.to_thread(self._spool.append, rows)
        except OSError:
            # Disk full or unwritable: keep the rows in memory (first in line) for the next attempt.
            self._pending[:0] = rows
            self.stats.pending = len(self._pending)
            raise
        self.stats.spooled += len(rows)

    def _enter_degraded(self, exc: BaseException) -> None:
        self.stats.failures += 1
        if not self._degraded:
            log.warning(
                "usage ledger database unreachable; spooling rows", extra={"gw.error": type(exc).__name__}
            )
        self._degraded = True
        self._next_retry = time.monotonic() + self._retry_interval_s

    async def _try_replay(self) -> bool:
        if time.monotonic() < self._next_retry and not self._closing:
            return False
        loop = asyncio.get_running_loop()

        def insert_from_thread(batch: list[Columns]) -> None:
            future = asyncio.run_coroutine_threadsafe(self._insert(batch), loop)
            try:
                future.result(self._insert_timeout_s)
            finally:
                future.cancel()

        try:
            replayed = await asyncio.to_thread(self._spool.replay, insert_from_thread)
        except Exception as exc:
            self._enter_degraded(exc)
            return False
        self.stats.replayed += replayed
        self._degraded = False
        log.info("usage ledger database back; spool replayed", extra={"gw.rows": replayed})
        return True

    def _statement(self) -> Insert:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(LedgerRow).on_conflict_do_nothing(index_elements=["id"])
        return sqlite.insert(LedgerRow).on_conflict_do_nothing(index_elements=["id"])

    async def _insert(self, batch: list[Columns]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(self._statement(), batch)
