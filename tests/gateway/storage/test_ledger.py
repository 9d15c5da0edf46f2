"""The ledger sink: batched inserts, spooling while the database is unreachable, exactly-once replay."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.ports import UsageRecord
from gateway.storage.ledger import LedgerSink, ledger_columns
from gateway.storage.spool import Spool
from gateway.usage import Usage


def usage_row(n: int, **overrides: object) -> UsageRecord:
    fields: dict[str, object] = {
        "trace_id": f"trace-{n}",
        "ts": 1_795_000_000.0 + n,
        "key_id": "key_a",
        "route_id": "chat",
        "target_path": "/targets/0",
        "provider_id": "openai_prod",
        "model": "gpt-4o",
        "usage": Usage(
            prompt_tokens=100,
            completion_tokens=20,
            cached_read_tokens=40,
            cache_write_tokens=5,
            reasoning_tokens=7,
        ),
        "cost_usd": 0.001,
        "saved_usd": None,
        "cache_status": "MISS",
        "status": 200,
        "latency_ms": 12.5,
        "config_hash": "sha256:abc",
    }
    fields.update(overrides)
    return UsageRecord(**fields)  # type: ignore[arg-type]


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def count_rows(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT count(*), count(DISTINCT trace_id) FROM usage_ledger"))).one()
    return int(row[0]), int(row[1])


async def set_table_reachable(engine: AsyncEngine, reachable: bool) -> None:
    """Renaming the table away makes every insert fail, as an unreachable database would."""
    old, new = ("usage_ledger_away", "usage_ledger") if reachable else ("usage_ledger", "usage_ledger_away")
    async with engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_recorded_row_lands_with_every_field(engine: AsyncEngine, tmp_path: Path) -> None:
    async with LedgerSink(engine, tmp_path / "spool.jsonl", flush_interval_s=0.05) as sink:
        sink.record(usage_row(1, saved_usd=0.5, cache_status="HIT", status=200))
        await wait_until(lambda: sink.stats.inserted == 1)
    async with engine.connect() as conn:
        stored = dict((await conn.execute(text("SELECT * FROM usage_ledger"))).mappings().one())
    expected = ledger_columns(usage_row(1, saved_usd=0.5, cache_status="HIT"), row_id=stored["id"])
    assert stored == expected
    assert stored["day"] == "2026-11-18"


async def test_a_full_batch_is_written_without_waiting_for_the_interval(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with LedgerSink(engine, tmp_path / "spool.jsonl", batch_size=10, flush_interval_s=60) as sink:
        for n in range(10):
            sink.record(usage_row(n))
        await wait_until(lambda: sink.stats.inserted == 10)


async def test_record_never_raises_even_for_a_row_it_cannot_store(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    sink = LedgerSink(engine, tmp_path / "spool.jsonl")
    sink.record(usage_row(1, ts=float("nan")))  # not started, and a timestamp no date can be made from
    assert sink.stats.recorded == 0
    sink.record(usage_row(2))
    assert sink.stats.recorded == 1
    await sink.aclose()
    assert await count_rows(engine) == (1, 1)


async def test_rows_are_spooled_while_the_database_fails_and_replayed_once_when_it_returns(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    async with LedgerSink(engine, spool, flush_interval_s=0.05, retry_interval_s=0.1) as sink:
        sink.record(usage_row(0))
        await wait_until(lambda: sink.stats.inserted == 1)
        await set_table_reachable(engine, False)
        for n in range(1, 51):
            sink.record(usage_row(n))
        await wait_until(lambda: sink.stats.spooled == 50)
        assert len(spool.read_text().splitlines()) == 50
        await set_table_reachable(engine, True)
        await wait_until(lambda: sink.stats.replayed == 50)
        for n in range(51, 61):
            sink.record(usage_row(n))
    assert await count_rows(engine) == (61, 61)
    assert spool.read_text() == ""


async def test_rows_pending_at_shutdown_are_spooled_and_replayed_by_the_next_start(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    await set_table_reachable(engine, False)
    sink = LedgerSink(engine, spool, flush_interval_s=60)
    await sink.start()
    for n in range(25):
        sink.record(usage_row(n))
    await sink.aclose()
    assert len(spool.read_text().splitlines()) == 25
    await set_table_reachable(engine, True)
    async with LedgerSink(engine, spool, flush_interval_s=0.05) as again:
        await wait_until(lambda: again.stats.replayed == 25)
    assert await count_rows(engine) == (25, 25)


async def test_replaying_rows_that_are_already_stored_inserts_nothing_twice(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool_path = tmp_path / "spool.jsonl"
    rows = [ledger_columns(usage_row(n)) for n in range(10)]
    async with LedgerSink(engine, tmp_path / "other.jsonl") as sink:
        await sink._insert(rows[:6])  # committed, but imagine the acknowledgement was lost
    Spool(spool_path).append(rows)  # so all ten were spooled as well
    async with LedgerSink(engine, spool_path, flush_interval_s=0.05) as sink:
        await wait_until(lambda: sink.stats.replayed == 10)
    assert await count_rows(engine) == (10, 10)


async def test_spool_lines_are_plain_json_with_the_row_id(engine: AsyncEngine, tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    await set_table_reachable(engine, False)
    sink = LedgerSink(engine, spool)
    sink.record(usage_row(7))
    await sink.aclose()
    line = json.loads(spool.read_text())
    assert line["trace_id"] == "trace-7" and len(line["id"]) == 36
    assert line["reasoning_tokens"] == 7 and line["cost_usd"] == 0.001


async def test_rows_stay_in_memory_when_the_spool_cannot_be_written_either(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the spool directory should be")
    await set_table_reachable(engine, False)
    sink = LedgerSink(engine, blocked / "spool.jsonl", flush_interval_s=0.05, retry_interval_s=0.05)
    await sink.start()
    for n in range(5):
        sink.record(usage_row(n))
    await wait_until(lambda: sink.stats.failures >= 2)
    assert sink.stats.pending == 5 and sink.stats.spooled == 0
    await set_table_reachable(engine, True)
    await wait_until(lambda: sink.stats.inserted == 5)
    await sink.aclose()
    assert await count_rows(engine) == (5, 5)
