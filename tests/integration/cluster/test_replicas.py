"""Three `gw serve` replicas on one Valkey and one PostgreSQL behind a load balancer: shared limits,
and load that survives a Valkey restart, a PostgreSQL restart and a replica being stopped."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.cluster.balancer import LoadBalancer
from tests.integration.cluster.conftest import StartCluster, write_manifests
from tests.integration.cluster.harness import Cluster, Replica, ledger_rows, ledger_trace_ids, wait_until
from tests.integration.storage.tcp_proxy import TcpProxy
from tests.services import ValkeyServer

pytestmark = pytest.mark.slow


def body(text: str = "hello") -> dict[str, object]:
    """A chat request."""
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


@pytest.fixture(scope="module")
def cluster(
    start_cluster: StartCluster, upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Cluster, LoadBalancer]:
    """Three replicas serving the cluster manifests; every request needs a gw key."""
    config = write_manifests(tmp_path_factory.mktemp("manifests"), upstream.url)
    return start_cluster(3, ["--config-dir", str(config), "--no-watch"], env={"GW_REQUIRE_KEYS": "1"})


@pytest.fixture(scope="module")
def auth(api_key: str) -> dict[str, str]:
    """The key's Authorization header."""
    return {"authorization": f"Bearer {api_key}"}


async def burst(url: str, route: str, count: int, auth: dict[str, str]) -> Counter[int]:
    """`count` concurrent requests to `route`; the status codes seen."""
    limits = httpx.Limits(max_connections=count)
    headers = {"x-portkey-config": route, **auth}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/chat/completions", json=body(), headers=headers) for _ in range(count))
        )
    return Counter(r.status_code for r in responses)


async def load_during(
    url: str, fault: Callable[[], Awaitable[None]], auth: dict[str, str], *, workers: int = 6
) -> Counter[int]:
    """Steady requests to `steady` from `workers` clients while `fault` runs; statuses seen
    (`-1` for a request that got no response at all)."""
    done = asyncio.Event()
    seen: Counter[int] = Counter()
    prompts = itertools.count()

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not done.is_set():
            text = f"prompt {next(prompts) % 20}"  # repeats: exact-cache hits and misses
            try:
                response = await client.post(
                    "/v1/chat/completions", json=body(text), headers={"x-portkey-config": "steady", **auth}
                )
                seen[response.status_code] += 1
            except httpx.HTTPError:
                seen[-1] += 1

    async def run_fault() -> None:
        try:
            await fault()
        finally:
            done.set()

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.gather(run_fault(), *(client_loop(client) for _ in range(workers)))
    return seen


def reports_down(replica: Replica, dependency: str) -> bool:
    """Whether the replica's `/ready` reports `dependency` down (with what it does meanwhile)."""
    fallback = httpx.get(replica.url + "/ready", timeout=5).json()["fallbacks"][dependency]
    return fallback["up"] is False and bool(fallback["on_down"])


def settled_ledger(cluster_db: str, route: str, expected: int) -> int:
    """Wait for the replicas' ledgers to flush (spools replayed), then return the row count."""
    wait_until(lambda: ledger_rows(cluster_db, route)[0] >= expected, timeout=60, what="ledger flush")
    return ledger_rows(cluster_db, route)[0]


def test_a_budget_holds_across_replicas(
    cluster: tuple[Cluster, LoadBalancer], cluster_db: str, auth: dict[str, str]
) -> None:
    _, balancer = cluster
    statuses = asyncio.run(burst(balancer.url, "budgeted", 200, auth))
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] == 50  # 1.00 USD budget, 0.02 USD held and charged per request
    wait_until(lambda: ledger_rows(cluster_db, "budgeted")[0] == 50, what="budget ledger rows")
    rows, spent = ledger_rows(cluster_db, "budgeted")
    assert rows == 50
    assert spent <= 1.0 + 1e-9


def test_a_rate_limit_holds_across_replicas(
    cluster: tuple[Cluster, LoadBalancer], auth: dict[str, str]
) -> None:
    _, balancer = cluster
    statuses = asyncio.run(burst(balancer.url, "limited", 60, auth))
    assert set(statuses) <= {200, 429}, statuses
    assert abs(statuses[200] - 20) <= 1, statuses


def test_a_valkey_restart_mid_load_causes_no_5xx_and_loses_no_ledger_row(
    cluster: tuple[Cluster, LoadBalancer],
    cluster_valkey: ValkeyServer,
    cluster_db: str,
    auth: dict[str, str],
) -> None:
    replicas, balancer = cluster
    before = ledger_rows(cluster_db, "steady")[0]
    ready_while_down: list[int] = []

    async def restart_valkey() -> None:
        await asyncio.sleep(1.0)
        await asyncio.to_thread(cluster_valkey.stop)
        first = replicas.replicas[0]
        await asyncio.to_thread(wait_until, partial(reports_down, first, "valkey"), what="valkey down")
        ready = await asyncio.to_thread(httpx.get, first.url + "/ready")
        ready_while_down.append(ready.status_code)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(cluster_valkey.start)
        await asyncio.sleep(1.5)

    statuses = asyncio.run(load_during(balancer.url, restart_valkey, auth))
    assert set(statuses) == {200}, statuses
    assert ready_while_down == [200]  # on_valkey_down: local keeps the replica in service
    assert settled_ledger(cluster_db, "steady", before + statuses[200]) == before + statuses[200]


def test_a_postgres_restart_mid_load_causes_no_5xx_and_loses_no_ledger_row(
    cluster: tuple[Cluster, LoadBalancer], pg_proxy: TcpProxy, cluster_db: str, auth: dict[str, str]
) -> None:
    replicas, balancer = cluster
    before = ledger_rows(cluster_db, "steady")[0]

    async def restart_postgres() -> None:
        await asyncio.sleep(1.0)
        await asyncio.to_thread(pg_proxy.stop)
        check = partial(reports_down, replicas.replicas[0], "database")
        await asyncio.to_thread(wait_until, check, what="database down")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(pg_proxy.start)
        await asyncio.sleep(1.0)

    statuses = asyncio.run(load_during(balancer.url, restart_postgres, auth))
    assert set(statuses) == {200}, statuses
    assert settled_ledger(cluster_db, "steady", before + statuses[200]) == before + statuses[200]


class RetryingLoad:
    """Clients that re-send a request (same trace id) until it is answered, as an SDK with retries
    does: a connection cut by a dying replica, or the balancer's 502, is retried."""

    def __init__(self, url: str, auth: dict[str, str], workers: int = 6) -> None:
        self.url, self.auth, self.workers = url, auth, workers
        self.answered: dict[str, int] = {}
        self.resent = 0
        self._ids = itertools.count()

    async def _one(self, client: httpx.AsyncClient, trace_id: str) -> None:
        headers = {"x-portkey-config": "killed", "x-portkey-trace-id": trace_id, **self.auth}
        text = f"kill prompt {trace_id}"
        for _ in range(20):
            try:
                response = await client.post("/v1/chat/completions", json=body(text), headers=headers)
            except httpx.HTTPError:
                self.resent += 1
                continue
            if response.status_code == 502:  # the balancer found no replica for it: re-send
                self.resent += 1
                continue
            self.answered[trace_id] = response.status_code
            return

    async def during(self, fault: Callable[[], Awaitable[None]]) -> None:
        """Run the clients until `fault` returns."""
        done = asyncio.Event()

        async def client_loop(client: httpx.AsyncClient) -> None:
            while not done.is_set():
                await self._one(client, f"kill-{next(self._ids)}")

        async def run_fault() -> None:
            try:
                await fault()
            finally:
                done.set()

        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            await asyncio.gather(run_fault(), *(client_loop(client) for _ in range(self.workers)))


def test_killing_a_replica_mid_load_loses_no_retried_request_and_no_ledger_row(
    cluster: tuple[Cluster, LoadBalancer], cluster_db: str, auth: dict[str, str]
) -> None:
    replicas, balancer = cluster
    victim = replicas.replicas[1]
    load = RetryingLoad(balancer.url, auth)
    balancer_retries = balancer.retries

    async def kill_and_restart() -> None:
        await asyncio.sleep(1.5)
        await asyncio.to_thread(victim.sigkill)  # no drain, no flush: rows only in its write-ahead log
        await asyncio.sleep(1.0)
        await asyncio.to_thread(victim.restart)  # same spool: the orphaned segment is re-queued
        await asyncio.sleep(1.0)

    asyncio.run(load.during(kill_and_restart))
    assert set(load.answered.values()) == {200}, Counter(load.answered.values())
    resent = load.resent + balancer.retries - balancer_retries
    assert resent > 0  # the kill cut requests in flight; the balancer or the client re-sent them

    def every_answer_has_a_row() -> bool:
        stored = ledger_trace_ids(cluster_db, "killed")
        return all(stored[trace_id] for trace_id in load.answered)

    wait_until(every_answer_has_a_row, timeout=60, what="a ledger row for every answered request")
    stored = ledger_trace_ids(cluster_db, "killed")
    rows = sum(stored.values())
    # A request the dead replica had recorded but not answered was answered again elsewhere: at most
    # one extra row per re-sent attempt, and never a missing one.
    assert set(stored) == set(load.answered)
    assert len(load.answered) <= rows <= len(load.answered) + resent
    assert "recovered usage rows" in victim.log.read_text()


def test_stopping_a_replica_mid_load_loses_no_request_and_no_ledger_row(
    cluster: tuple[Cluster, LoadBalancer], cluster_db: str, auth: dict[str, str]
) -> None:
    replicas, balancer = cluster
    victim = replicas.replicas[-1]
    before = ledger_rows(cluster_db, "steady")[0]
    exit_codes: list[int] = []

    async def stop_one() -> None:
        await asyncio.sleep(1.0)
        exit_codes.append(await asyncio.to_thread(victim.terminate))
        await asyncio.sleep(1.0)

    statuses = asyncio.run(load_during(balancer.url, stop_one, auth))
    assert set(statuses) == {200}, statuses
    assert exit_codes == [0]
    assert balancer.retries > 0  # requests sent to the stopped replica were re-sent, none lost
    assert settled_ledger(cluster_db, "steady", before + statuses[200]) == before + statuses[200]
