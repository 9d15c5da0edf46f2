"""The ledger's write-ahead log: a process killed outright loses no recorded row, and none is stored twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.ledger import LedgerSink
from tests.gateway.storage.test_ledger import count_rows, set_table_reachable, usage_row, wait_until


def record_then_sigkill(url: str, spool: Path, count: int, batch_size: int) -> int:
    """Run `ledger_child` until it has recorded `count` rows, SIGKILL it; return how many it inserted."""
    args = [url, str(spool), str(count), str(batch_size)]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.storage.ledger_child", *args], stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    line = child.stdout.readline().decode()
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    assert line.startswith("recorded "), line
    return int(line.split()[1])


def segments(spool: Path) -> list[Path]:
    """The write-ahead segment files next to `spool`."""
    directory = spool.with_name(spool.name + ".wal")
    return sorted(directory.glob("*.jsonl")) if directory.exists() else []


async def test_rows_of_a_killed_process_are_stored_by_the_next_start_exactly_once(
    engine: AsyncEngine, sqlite_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    inserted = await asyncio.to_thread(record_then_sigkill, sqlite_url, spool, 100, 30)
    assert inserted == 90  # three full batches went in; ten rows lived only in memory and on disk
    assert await count_rows(engine) == (90, 90)
    assert segments(spool)  # left behind by the kill
    async with LedgerSink(engine, spool, flush_interval_s=0.05) as sink:
        assert sink.stats.recovered == 10
        await wait_until(lambda: sink.stats.pending == 0 and sink.stats.inserted >= 10)
    assert await count_rows(engine) == (100, 100)
    assert segments(spool) == []


async def test_a_segment_still_held_by_a_live_process_is_left_alone(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    first = LedgerSink(engine, spool, flush_interval_s=3600)
    await first.start()
    for n in range(5):
        first.record(usage_row(n))
    async with LedgerSink(engine, spool, flush_interval_s=0.05) as second:
        assert second.stats.recovered == 0  # the first sink's segment is locked: it is alive
    await first.aclose()
    assert await count_rows(engine) == (5, 5)
    assert segments(spool) == []


async def test_a_clean_shutdown_leaves_no_segment_and_an_outage_keeps_rows_in_the_spool(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    async with LedgerSink(engine, spool, flush_interval_s=0.05) as sink:
        for n in range(3):
            sink.record(usage_row(n))
        assert len(segments(spool)) == 1
        await wait_until(lambda: sink.stats.inserted == 3)
        await set_table_reachable(engine, False)
        for n in range(3, 8):
            sink.record(usage_row(n))
        await wait_until(lambda: sink.stats.spooled == 5)
        assert segments(spool) == []  # spooled rows' segments are retired (nothing recorded since)
    assert segments(spool) == []
    assert len(spool.read_text().splitlines()) == 5


async def test_rows_are_stored_when_the_write_ahead_directory_cannot_be_written(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    spool.with_name(spool.name + ".wal").write_text("a file where the directory should be")
    async with LedgerSink(engine, spool, flush_interval_s=0.05) as sink:
        for n in range(4):
            sink.record(usage_row(n))
        assert sink.stats.unjournaled == 4 and sink.stats.recorded == 4
    assert await count_rows(engine) == (4, 4)
