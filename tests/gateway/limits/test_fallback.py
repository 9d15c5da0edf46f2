"""`on_valkey_down`: a killed Valkey degrades to per-replica limits (`local`) or to 503s, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from valkey.asyncio import Valkey

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits.fallback import FallbackStore, OnValkeyDown
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.memory import MemoryStore
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import LimitStore
from gateway.limits.valkey_store import ValkeyStore
from gateway.ports import LimitContext, VirtualKey
from gateway.usage import Usage
from tests.services import ValkeyServer

SRC = Source(file="budgets/team.yaml", line=1, col=1)
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)
TEAM = BudgetSpec(id="team", scope=ScopeSpec(kind="global"), limit_usd=0.04, source=SRC)
CTX = LimitContext(
    key=VirtualKey(id="k1", requests_per_minute=100),
    provider_type="openai",
    model="flat",
    estimated_prompt_tokens=1000,
    max_tokens=1000,
)


class Monotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_valkey(tmp_path: Path) -> Iterator[ValkeyServer]:
    """A Valkey server of this test alone, free to be killed."""
    server = ValkeyServer(tmp_path / "valkey")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def client(own_valkey: ValkeyServer) -> AsyncIterator[Valkey]:
    valkey = Valkey.from_url(own_valkey.url, socket_timeout=1, socket_connect_timeout=1)
    yield valkey
    await valkey.aclose()


def limiter(store: LimitStore) -> BudgetLimiter:
    return BudgetLimiter(budgets=(TEAM,), costs=CostCalculator(PRICES), store=store, config=LimiterConfig())


def fallback(client: Valkey, policy: OnValkeyDown, monotonic: Monotonic) -> FallbackStore:
    return FallbackStore(
        ValkeyStore(client), MemoryStore(), policy, probe_interval_s=5.0, monotonic=monotonic
    )


async def test_local_policy_keeps_enforcing_in_process_while_valkey_is_down(
    client: Valkey, own_valkey: ValkeyServer, caplog: Any
) -> None:
    monotonic = Monotonic()
    store = fallback(client, "local", monotonic)
    limits = limiter(store)
    before = await limits.reserve(CTX)
    own_valkey.stop()
    await limits.admit_request(CTX)
    during = await limits.reserve(CTX)
    assert store.degraded
    assert "shared limit store unavailable" in caplog.text
    await limits.reserve(CTX)
    with pytest.raises(LimitExceeded) as caught:
        await limits.reserve(CTX)
    assert caught.value.status == 429
    assert await limits.settle(during, CTX, Usage(prompt_tokens=100, completion_tokens=100)) == pytest.approx(
        0.002
    )
    assert await limits.settle(before, CTX, Usage(prompt_tokens=100, completion_tokens=100)) == pytest.approx(
        0.002
    )


async def test_shared_counters_are_used_again_once_valkey_answers(
    client: Valkey, own_valkey: ValkeyServer, caplog: Any
) -> None:
    monotonic = Monotonic()
    store = fallback(client, "local", monotonic)
    limits = limiter(store)
    own_valkey.stop()
    local = await limits.reserve(CTX)
    own_valkey.start()
    monotonic.now += 1.0
    await limits.reserve(CTX)  # still inside the probe interval: local
    monotonic.now += 5.0
    shared = await limits.reserve(CTX)
    assert not store.degraded
    assert "answers again" in caplog.text
    assert await client.exists(shared.holds[0][0]) == 1
    await limits.settle(local, CTX, None)


async def test_fail_closed_policy_refuses_with_503_and_settle_never_raises(
    client: Valkey, own_valkey: ValkeyServer
) -> None:
    monotonic = Monotonic()
    limits = limiter(fallback(client, "fail_closed", monotonic))
    reservation = await limits.reserve(CTX)
    own_valkey.stop()
    for call in (limits.admit_request(CTX), limits.reserve(CTX)):
        with pytest.raises(LimitExceeded) as caught:
            await call
        assert (caught.value.status, caught.value.code) == (503, "limits_unavailable")
        assert caught.value.headers["Retry-After"] == "1"
    assert await limits.settle(reservation, CTX, Usage(prompt_tokens=10, completion_tokens=10)) is not None


async def test_valkey_without_fallback_is_a_503_not_a_500(client: Valkey, own_valkey: ValkeyServer) -> None:
    limits = limiter(ValkeyStore(client))
    own_valkey.stop()
    with pytest.raises(LimitExceeded) as caught:
        await limits.admit_request(CTX)
    assert caught.value.status == 503
