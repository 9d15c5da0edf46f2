"""Two gw replicas (two OS processes) sharing one real Valkey: budgets and rate limits stay exact."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from valkey.asyncio import Valkey

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.nanodollars import to_nanos
from gateway.limits.pricing import CostCalculator
from gateway.limits.valkey_store import ValkeyStore
from tests.integration.limits.worker import CTX
from tests.services import ValkeyServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
CTX_SOURCE = Source(file="budgets/team.yaml", line=1, col=1)


class Replica:
    """A worker process: started, synchronised on `go`, read back as JSON."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.limits.worker", json.dumps(spec)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stdout, self.stdin = self.proc.stdout, self.proc.stdin
        assert self.stdout.readline().strip() == "ready"

    def go(self) -> None:
        self.stdin.write("go\n")
        self.stdin.flush()

    def result(self) -> dict[str, Any]:
        line = self.stdout.readline()
        self.proc.wait(timeout=60)
        return dict(json.loads(line))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.stdin.close()
        self.stdout.close()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        if replica.proc.poll() is None:
            replica.kill()
        else:
            replica.stdin.close()
            replica.stdout.close()


def run_together(replicas: list[Replica], spec: dict[str, Any], count: int) -> list[dict[str, Any]]:
    replicas.extend(Replica(spec) for _ in range(count))
    for replica in replicas:
        replica.go()
    return [replica.result() for replica in replicas]


def spec(valkey_server: ValkeyServer, scenario: str, n: int, **extra: Any) -> dict[str, Any]:
    prefix = f"gw:it-{uuid.uuid4().hex[:8]}:"
    return {
        "url": valkey_server.url,
        "prefix": prefix,
        "scenario": scenario,
        "n": n,
        "limit_usd": 1.0,
    } | extra


async def test_two_replicas_admit_exactly_the_budget_between_them(
    valkey_server: ValkeyServer, replicas: list[Replica]
) -> None:
    scenario = spec(valkey_server, "budget", 100)
    replicas.extend(Replica(scenario) for _ in range(2))
    for replica in replicas:
        replica.go()
    reserved = [json.loads(replica.stdout.readline())["reserved"] for replica in replicas]
    assert sum(reserved) == 50  # every hold is live at this point: exactly the budget, never more
    for replica in replicas:
        replica.go()  # now settle
    results = [replica.result() for replica in replicas]
    assert [r["errors"] for r in results] == [[], []]
    assert sum(r["admitted"] for r in results) == 50
    assert all(r["admitted"] > 0 for r in results), results  # both replicas took part
    assert sum(r["settled_usd"] for r in results) == pytest.approx(0.85)
    client = Valkey.from_url(valkey_server.url)
    try:
        counters = [k async for k in client.scan_iter(match=scenario["prefix"] + "b:team:*")]
        assert len(counters) == 1 and not counters[0].endswith(b":leases")
        spent, reserved = await client.hmget(counters[0], ["spent", "reserved"])
        assert int(spent) == to_nanos(0.85) <= to_nanos(1.0)
        assert int(reserved) == 0
    finally:
        await client.aclose()


async def test_two_replicas_share_one_requests_per_minute_window(
    valkey_server: ValkeyServer, replicas: list[Replica]
) -> None:
    results = run_together(replicas, spec(valkey_server, "rate", 40), 2)
    assert sum(r["admitted"] for r in results) == 30  # the key's limit; per-replica counting would admit 60


async def test_hold_of_a_killed_replica_is_reclaimed_when_its_lease_expires(
    valkey_server: ValkeyServer, replicas: list[Replica]
) -> None:
    scenario = spec(valkey_server, "hold", 1, limit_usd=0.02, lease_s=1.0)
    replicas.append(Replica(scenario))
    replicas[0].go()
    assert "holding" in json.loads(replicas[0].stdout.readline())
    replicas[0].kill()
    client = Valkey.from_url(valkey_server.url)
    limiter = BudgetLimiter(
        budgets=(BudgetSpec(id="team", scope=ScopeSpec(kind="global"), limit_usd=0.02, source=CTX_SOURCE),),
        costs=CostCalculator((PriceSpec(model="flat", input=10.0, output=10.0, source=CTX_SOURCE),)),
        store=ValkeyStore(client),
        config=LimiterConfig(key_prefix=scenario["prefix"], lease_s=1.0),
    )
    try:
        with pytest.raises(LimitExceeded):
            await limiter.reserve(CTX)
        await _wait_until_admitted(limiter)
    finally:
        await client.aclose()


async def _wait_until_admitted(limiter: BudgetLimiter) -> None:
    for _ in range(100):
        try:
            await limiter.reserve(CTX)
        except LimitExceeded:
            await asyncio.sleep(0.05)
        else:
            return
    pytest.fail("the dead replica's hold was never reclaimed")
