"""Durable spend per budget scope and period (`budget_periods`).

The limits engine keeps the live, atomic counters (Valkey or in-process) and settles requests there;
this table is where settled spend lands so a restart or a Valkey flush can rebuild the counters, and
where operators can see spend per scope. Each `add` is one atomic upsert (`spent = spent + x`), safe
from any number of replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.models import BudgetPeriodRow

__all__ = ["TOTAL_PERIOD_START", "BudgetPeriodStore", "PeriodSpend", "period_start"]

TOTAL_PERIOD_START = "0001-01-01"


def period_start(period: Literal["daily", "monthly", "total"], moment: datetime) -> str:
    """The UTC date a period containing `moment` starts on (YYYY-MM-DD)."""
    day = moment.astimezone(UTC).date()
    if period == "daily":
        return day.isoformat()
    if period == "monthly":
        return date(day.year, day.month, 1).isoformat()
    return TOTAL_PERIOD_START


class PeriodSpend(msgspec.Struct, kw_only=True):
    """Spend recorded for one scope in one period."""

    scope_key: str
    period_start: str
    spent_usd: float
    reserved_usd: float


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BudgetPeriodStore:
    """Adds settled spend to, and reads it from, `budget_periods`."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._engine = engine
        self._clock = clock

    async def add(
        self, scope_key: str, start: str, *, spent_usd: float = 0.0, reserved_usd: float = 0.0
    ) -> None:
        """Atomically add to a scope's spend (and optionally its reserved amount) for one period."""
        module = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        stmt = module.insert(BudgetPeriodRow).values(
            scope_key=scope_key,
            period_start=start,
            spent_usd=spent_usd,
            reserved_usd=reserved_usd,
            updated_at=self._clock(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["scope_key", "period_start"],
            set_={
                "spent_usd": BudgetPeriodRow.spent_usd + stmt.excluded.spent_usd,
                "reserved_usd": BudgetPeriodRow.reserved_usd + stmt.excluded.reserved_usd,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def get(self, scope_key: str, start: str) -> PeriodSpend:
        """Spend for one scope and period (zero when nothing was recorded)."""
        stmt = select(BudgetPeriodRow).where(
            BudgetPeriodRow.scope_key == scope_key, BudgetPeriodRow.period_start == start
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).mappings().first()
        if row is None:
            return PeriodSpend(scope_key=scope_key, period_start=start, spent_usd=0.0, reserved_usd=0.0)
        return PeriodSpend(
            scope_key=scope_key,
            period_start=start,
            spent_usd=float(row["spent_usd"]),
            reserved_usd=float(row["reserved_usd"]),
        )

    async def list_period(self, start: str) -> list[PeriodSpend]:
        """Every scope's spend in the period starting on `start`."""
        stmt = select(BudgetPeriodRow).where(BudgetPeriodRow.period_start == start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [
            PeriodSpend(
                scope_key=r["scope_key"],
                period_start=r["period_start"],
                spent_usd=float(r["spent_usd"]),
                reserved_usd=float(r["reserved_usd"]),
            )
            for r in sorted(rows, key=lambda r: str(r["scope_key"]))
        ]

    async def spends(self, start: str) -> list[tuple[str, float]]:
        """(scope key, spent USD) for every scope in the period starting on `start`.

        The shape `gateway.limits`' `BudgetLimiter.restore` takes to rebuild counters after a restart.
        """
        return [(spend.scope_key, spend.spent_usd) for spend in await self.list_period(start)]
