"""Spend survives a restart: settled amounts go through storage's `budget_periods` and come back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits import BudgetLimiter, CostCalculator, MemoryStore, QueuedJournal, current_starts
from gateway.ports import LimitContext, VirtualKey
from gateway.storage.budgets import BudgetPeriodStore
from gateway.storage.database import make_async_engine
from gateway.storage.migrations import upgrade
from gateway.usage import Usage

pytestmark = pytest.mark.integration

SRC = Source(file="budgets/team.yaml", line=1, col=1)
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)
BUDGETS = (BudgetSpec(id="team", scope=ScopeSpec(kind="global"), limit_usd=0.1, source=SRC),)
CTX = LimitContext(
    key=VirtualKey(id="k1", budget_usd=0.07, budget_period="total"),
    model="flat",
    estimated_prompt_tokens=1000,
    max_tokens=1000,
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    eng = make_async_engine(url)
    yield eng
    await eng.dispose()


def replica(journal: QueuedJournal | None = None) -> BudgetLimiter:
    return BudgetLimiter(budgets=BUDGETS, costs=CostCalculator(PRICES), store=MemoryStore(), journal=journal)


async def test_in_process_budgets_survive_a_restart_through_the_database(engine: AsyncEngine) -> None:
    periods = BudgetPeriodStore(engine)
    journal = QueuedJournal(periods.add)
    journal.start()
    first = replica(journal)
    for _ in range(2):
        await first.settle(await first.reserve(CTX), CTX, Usage(prompt_tokens=1000, completion_tokens=1000))
    await journal.aclose()  # the process stops

    second = replica()  # a new process: empty in-process counters
    rows = [row for start in current_starts(time.time()) for row in await periods.list_period(start)]
    assert await second.restore((row.scope_key, row.spent_usd) for row in rows) == 2
    reservation = await second.reserve(CTX)
    assert reservation.remaining_usd == pytest.approx(0.07 - 0.04 - 0.02)  # the key's, the smaller
    with pytest.raises(LimitExceeded, match="the key's budget"):
        await second.reserve(CTX)
