"""Durable spend: settled amounts are journalled per counter and rebuild counters after a restart."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits.fallback import FallbackStore
from gateway.limits.journal import QueuedJournal
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.memory import MemoryStore
from gateway.limits.periods import period_window
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import LimitStore
from gateway.ports import LimitContext, VirtualKey
from gateway.usage import Usage
from tests.gateway.limits.conftest import Clock

SRC = Source(file="budgets/team.yaml", line=1, col=1)
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)
TEAM = BudgetSpec(id="team", scope=ScopeSpec(kind="key_tag", value="a"), limit_usd=0.05, source=SRC)
CTX = LimitContext(
    key=VirtualKey(id="k1", tags=("a",), budget_usd=1.0, budget_period="daily"),
    model="flat",
    estimated_prompt_tokens=1000,
    max_tokens=1000,
)
ACTUAL = Usage(prompt_tokens=1000, completion_tokens=500)  # 0.015 USD


class Adder:
    """Records what would be written to `budget_periods`; can be told to fail like a database."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], float] = {}
        self.down = False

    async def __call__(self, scope_key: str, start: str, *, spent_usd: float) -> None:
        if self.down:
            raise ConnectionError("database unavailable")
        self.rows[(scope_key, start)] = self.rows.get((scope_key, start), 0.0) + spent_usd


def limiter(store: LimitStore, clock: Clock, prefix: str, journal: Any = None) -> BudgetLimiter:
    return BudgetLimiter(
        budgets=(TEAM,),
        costs=CostCalculator(PRICES),
        store=store,
        config=LimiterConfig(key_prefix=prefix),
        clock=clock,
        journal=journal,
    )


async def test_settled_spend_is_journalled_per_counter_and_period(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    adder = Adder()
    journal = QueuedJournal(adder)
    limits = limiter(store, clock, prefix, journal)
    for _ in range(2):
        await limits.settle(await limits.reserve(CTX), CTX, ACTUAL)
    await limits.settle(await limits.reserve(CTX), CTX, None)
    await journal.flush()
    month = period_window("monthly", clock.now)
    day = period_window("daily", clock.now)
    assert adder.rows == {
        (f"b:team:{month.id}:a", month.start): pytest.approx(0.03),
        (f"k:{day.id}:k1", day.start): pytest.approx(0.03),
    }


async def test_restored_counters_carry_spend_across_a_restart(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    adder = Adder()
    journal = QueuedJournal(adder)
    before = limiter(MemoryStore(clock), clock, prefix, journal)
    await before.settle(await before.reserve(CTX), CTX, ACTUAL)
    await before.settle(await before.reserve(CTX), CTX, ACTUAL)
    await journal.aclose()
    after = limiter(store, clock, prefix)  # a fresh process: empty counters
    assert await after.restore((key, usd) for (key, _), usd in adder.rows.items()) == 2
    reservation = await after.reserve(CTX)
    assert reservation.remaining_usd == pytest.approx(0.05 - 0.03 - 0.02)
    with pytest.raises(LimitExceeded):
        await after.reserve(CTX)


async def test_restore_leaves_live_counters_and_ended_periods_alone(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limits = limiter(store, clock, prefix)
    await limits.settle(await limits.reserve(CTX), CTX, ACTUAL)
    month = period_window("monthly", clock.now).id
    stale = "b:team:m200001:a"
    assert await limits.restore([(f"b:team:{month}:a", 0.0), (stale, 9.0), ("nonsense", 1.0)]) == 0
    reservation = await limits.reserve(CTX)
    assert reservation.remaining_usd == pytest.approx(0.05 - 0.015 - 0.02)


async def test_failed_journal_writes_are_kept_for_the_next_flush(caplog: Any) -> None:
    adder = Adder()
    journal = QueuedJournal(adder)
    journal.record("b:team:m202611:a", "2026-11-01", 10_000_000)
    adder.down = True
    await journal.flush()
    assert adder.rows == {}
    assert "could not write settled spend" in caplog.text
    journal.record("b:team:m202611:a", "2026-11-01", 5_000_000)
    adder.down = False
    await journal.flush()
    assert adder.rows == {("b:team:m202611:a", "2026-11-01"): pytest.approx(0.015)}


async def test_background_journal_writes_on_close() -> None:
    adder = Adder()
    journal = QueuedJournal(adder, interval_s=3600)
    journal.start()
    journal.record("k:total:k1", "0001-01-01", 1_000_000_000)
    await journal.aclose()
    assert adder.rows == {("k:total:k1", "0001-01-01"): 1.0}


async def test_seeding_through_the_fallback_also_primes_the_local_stand_in(clock: Clock) -> None:
    shared, local = MemoryStore(clock), MemoryStore(clock)
    store = FallbackStore(shared, local, "local")
    limits = limiter(store, clock, "gw:")
    month = period_window("monthly", clock.now).id
    assert await limits.restore([(f"b:team:{month}:a", 0.04)]) == 1
    assert not (await local.reserve("probe", _probe(f"gw:b:team:{month}:a"), 60)).admitted


def _probe(counter: str) -> list[Any]:
    from gateway.limits.store import Hold

    return [Hold(counter=counter, amount=20_000_000, limit=50_000_000)]
