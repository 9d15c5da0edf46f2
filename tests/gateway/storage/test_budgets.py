"""Budget periods: period starts in UTC, and concurrent additions that never lose an update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.budgets import TOTAL_PERIOD_START, BudgetPeriodStore, period_start


@pytest.mark.parametrize(
    ("period", "expected"),
    [("daily", "2026-11-26"), ("monthly", "2026-11-01"), ("total", TOTAL_PERIOD_START)],
)
def test_period_start_is_a_utc_date(period: str, expected: str) -> None:
    assert period_start(period, datetime(2026, 11, 26, 23, 30, tzinfo=UTC)) == expected  # type: ignore[arg-type]


def test_period_start_converts_local_times_to_utc_first() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert period_start("daily", datetime(2026, 12, 1, 5, 0, tzinfo=tokyo)) == "2026-11-30"
    assert period_start("monthly", datetime(2026, 12, 1, 5, 0, tzinfo=tokyo)) == "2026-11-01"


async def test_additions_accumulate_per_scope_and_period(engine: AsyncEngine) -> None:
    store = BudgetPeriodStore(engine)
    await store.add("budget:b1:key:key_a", "2026-11-01", spent_usd=1.25)
    await store.add("budget:b1:key:key_a", "2026-11-01", spent_usd=0.75, reserved_usd=0.5)
    await store.add("budget:b1:key:key_a", "2026-12-01", spent_usd=9.0)
    spend = await store.get("budget:b1:key:key_a", "2026-11-01")
    assert (spend.spent_usd, spend.reserved_usd) == (2.0, 0.5)
    assert (await store.get("budget:b1:key:nobody", "2026-11-01")).spent_usd == 0.0
    assert [s.scope_key for s in await store.list_period("2026-12-01")] == ["budget:b1:key:key_a"]
    assert await store.spends("2026-12-01") == [("budget:b1:key:key_a", 9.0)]


async def test_concurrent_additions_lose_no_update(engine: AsyncEngine) -> None:
    store = BudgetPeriodStore(engine)
    await asyncio.gather(*(store.add("global", "2026-11-01", spent_usd=0.125) for _ in range(40)))
    assert (await store.get("global", "2026-11-01")).spent_usd == pytest.approx(5.0)
