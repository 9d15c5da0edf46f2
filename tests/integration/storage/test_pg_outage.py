"""PostgreSQL unreachable for 20 s while usage is recorded and keys are checked.

The sink and the key store reach PostgreSQL through a loopback TCP proxy; stopping the proxy cuts
every connection and refuses new ones (the shared cluster itself is left alone). Afterwards the
ledger holds exactly one row per record made: none lost, none duplicated.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.ports import UsageRecord
from gateway.storage.database import make_async_engine
from gateway.storage.key_records import NewKey
from gateway.storage.keys import KeyService
from gateway.storage.keystore import SqlKeyStore
from gateway.storage.ledger import LedgerSink
from gateway.usage import Usage
from tests.integration.storage.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

OUTAGE_S = 20.0
RATE_HZ = 50


class Load:
    """Records usage rows at a steady rate and checks a known key along the way."""

    def __init__(self, sink: LedgerSink, store: SqlKeyStore, secret: str) -> None:
        self.sink, self.store, self.secret = sink, store, secret
        self.recorded = 0
        self.auth_ok = 0

    async def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            n = self.recorded
            self.sink.record(
                UsageRecord(
                    trace_id=f"outage-{n}",
                    ts=time.time(),
                    key_id="key_load",
                    route_id="chat",
                    model="gpt-4o",
                    usage=Usage(prompt_tokens=10, completion_tokens=n % 7),
                    cost_usd=0.0001,
                )
            )
            self.recorded += 1
            if n % RATE_HZ == 0:
                await self.store.authenticate(self.secret)  # raises if the outage locked the key out
                self.auth_ok += 1
            await asyncio.sleep(1 / RATE_HZ)


async def _spool_replayed(sink: LedgerSink, spool: Path) -> None:
    """Wait until the sink replayed its spool and emptied the file (30 s at most)."""
    deadline = time.monotonic() + 30
    while sink.stats.replayed == 0 or spool.stat().st_size:
        assert time.monotonic() < deadline, f"spool not replayed: {sink.stats}"
        await asyncio.sleep(0.1)


async def test_twenty_second_outage_loses_and_duplicates_no_usage_row(
    pg_migrated_url: str, pg_engine: AsyncEngine, tmp_path: Path
) -> None:
    direct = make_url(pg_migrated_url)
    proxy = TcpProxy(target_port=direct.port or 5432)
    proxy.start()
    engine = make_async_engine(direct.set(port=proxy.port).render_as_string(hide_password=False))
    created = await KeyService(pg_engine).create(NewKey(name="load"))
    store = SqlKeyStore(engine, fresh_s=1.0, stale_s=120.0)
    spool = tmp_path / "usage-spool.jsonl"
    sink = LedgerSink(engine, spool, flush_interval_s=0.1, retry_interval_s=1.0)
    await sink.start()
    load = Load(sink, store, created.secret)
    try:
        await load.run(3.0)
        await asyncio.to_thread(proxy.stop)
        await load.run(OUTAGE_S)
        assert sink.stats.spooled > 0, "the outage should have sent rows to the spool"
        assert spool.stat().st_size > 0
        await asyncio.to_thread(proxy.start)
        await load.run(3.0)
        await _spool_replayed(sink, spool)
    finally:
        await sink.aclose()
        await engine.dispose()
        await asyncio.to_thread(proxy.stop)

    async with pg_engine.connect() as conn:
        rows, ids, traces = (
            await conn.execute(
                text("SELECT count(*), count(DISTINCT id), count(DISTINCT trace_id) FROM usage_ledger")
            )
        ).one()
    print(f"recorded={load.recorded} rows={rows} auth_ok={load.auth_ok} stats={sink.stats}")
    assert load.recorded > OUTAGE_S * RATE_HZ / 2
    assert rows == ids == traces == load.recorded
    assert load.auth_ok >= 10  # every check passed, including those during the outage
    assert sink.stats.spooled > 0 and sink.stats.replayed >= sink.stats.spooled
    assert spool.stat().st_size == 0


async def test_partition_that_swallows_packets_neither_hangs_requests_nor_loses_rows(
    pg_migrated_url: str, pg_engine: AsyncEngine, tmp_path: Path
) -> None:
    direct = make_url(pg_migrated_url)
    proxy = TcpProxy(target_port=direct.port or 5432)
    proxy.start()
    engine = make_async_engine(direct.set(port=proxy.port).render_as_string(hide_password=False))
    created = await KeyService(pg_engine).create(NewKey(name="partition"))
    store = SqlKeyStore(engine, fresh_s=0.5, stale_s=120.0, lookup_timeout_s=0.5, retry_s=1.0)
    spool = tmp_path / "usage-spool.jsonl"
    sink = LedgerSink(engine, spool, flush_interval_s=0.1, retry_interval_s=0.5, insert_timeout_s=1.0)
    await sink.start()
    load = Load(sink, store, created.secret)
    try:
        await load.run(2.0)
        proxy.blackhole()
        await load.run(8.0)  # every authenticate returns (from the verified cache) instead of hanging
        assert sink.stats.spooled > 0, "inserts into the partition should have timed out and spooled"
        await asyncio.to_thread(proxy.heal)
        await load.run(2.0)
        await _spool_replayed(sink, spool)
    finally:
        await sink.aclose()
        await engine.dispose()
        await asyncio.to_thread(proxy.stop)

    async with pg_engine.connect() as conn:
        rows, ids = (await conn.execute(text("SELECT count(*), count(DISTINCT id) FROM usage_ledger"))).one()
    print(f"recorded={load.recorded} rows={rows} auth_ok={load.auth_ok} stats={sink.stats}")
    assert rows == ids == load.recorded
    assert load.auth_ok >= 5
