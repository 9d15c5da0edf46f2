"""PostgreSQL unreachable for 20 s while requests flow through the real server.

gw reaches PostgreSQL through a loopback TCP proxy; stopping the proxy refuses new connections and
cuts the open ones, as a dead database host would. No request may fail because of it (keys already
verified keep working from the cache, ledger rows go to the spool), and once the database is back
the ledger holds exactly one row per request (no loss, no duplicates).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import openai
import pytest
from sqlalchemy.engine import make_url

from tests.integration.spend.conftest import StartFn
from tests.integration.spend.gateway import SpendGateway
from tests.integration.storage.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

OUTAGE_S = 20.0
WORKERS = 4
_LOG = logging.getLogger(__name__)


class Load:
    """Workers sending chat requests until stopped; every outcome kept by trace id."""

    def __init__(self, gateway: SpendGateway, secret: str) -> None:
        self.client = gateway.async_client(secret, connections=WORKERS, **{"x-portkey-config": "chat"})
        self.traces: list[str] = []
        self.failures: list[str] = []
        self._stop = asyncio.Event()

    async def _worker(self) -> None:
        while not self._stop.is_set():
            try:
                response = await self.client.chat.completions.with_raw_response.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "still there?"}], max_tokens=16
                )
            except openai.APIStatusError as exc:
                self.failures.append(f"{exc.status_code}: {exc.response.text[:200]}")
                self.traces.append(exc.response.headers.get("x-portkey-trace-id", ""))
            else:
                self.traces.append(response.headers["x-portkey-trace-id"])
            await asyncio.sleep(0.02)

    async def run_while(self, scenario: asyncio.Task[None]) -> None:
        """Send requests until `scenario` completes."""
        workers = [asyncio.create_task(self._worker()) for _ in range(WORKERS)]
        try:
            await scenario
        finally:
            self._stop.set()
            await asyncio.gather(*workers)
            await self.client.close()


async def test_database_outage_under_load_fails_no_request_and_loses_no_ledger_row(
    start_gateway: StartFn, pg_spend_url: str
) -> None:
    direct = make_url(pg_spend_url)
    proxy = TcpProxy(target_port=direct.port or 5432)
    proxy.start()
    proxied = direct.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        gateway = start_gateway(proxied)
        key_id, secret = gateway.create_key(budget_usd=100.0, budget_period="daily")
        load = Load(gateway, secret)

        async def outage() -> None:
            await asyncio.sleep(2.0)
            await asyncio.to_thread(proxy.stop)
            await asyncio.sleep(OUTAGE_S)
            await asyncio.to_thread(proxy.start)
            await asyncio.sleep(3.0)

        await load.run_while(asyncio.create_task(outage()))
        assert load.failures == []
        sent = len(load.traces)
        assert sent > 100
        rows = gateway.wait_ledger(sent, "key_id = :k", k=key_id)
        traces = Counter(row["trace_id"] for row in rows)
        assert len(rows) == sent
        assert max(traces.values()) == 1
        assert set(traces) == set(load.traces)
        assert {row["status"] for row in rows} == {200}
        stats = gateway.wiring.storage().ledger.stats
        assert stats.spooled > 0  # the outage really reached the ledger writer
        assert stats.replayed >= stats.spooled
        _LOG.info("outage: %d requests, %d rows spooled, %d replayed", sent, stats.spooled, stats.replayed)
    finally:
        proxy.stop()
