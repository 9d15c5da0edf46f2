"""Budget periods in UTC: the counter a moment belongs to and when that counter stops mattering."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

__all__ = ["TOTAL_START", "Period", "PeriodWindow", "current_starts", "parse_period_id", "period_window"]

Period = Literal["daily", "monthly", "total"]

TOTAL_START = "0001-01-01"
"""Start date of the `total` period (storage's `budget_periods` uses the same convention)."""
_ID = re.compile(r"^(?:d(\d{4})(\d{2})(\d{2})|m(\d{4})(\d{2})|total)$")


class PeriodWindow(NamedTuple):
    """One period instance: the id that names its counter, its first UTC day and its end."""

    id: str
    """`d20261126`, `m202611` or `total`."""
    start: str
    """First day as YYYY-MM-DD (`0001-01-01` for `total`), as the durable spend table keys it."""
    end: float | None
    """Unix time at which the period ends (None for `total`)."""


def _month_after(first: datetime) -> datetime:
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )


def period_window(period: Period, now: float) -> PeriodWindow:
    """Return the UTC period instance that contains `now` (unix seconds)."""
    if period == "total":
        return PeriodWindow("total", TOTAL_START, None)
    moment = datetime.fromtimestamp(now, UTC)
    if period == "daily":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return PeriodWindow(f"d{start:%Y%m%d}", f"{start:%Y-%m-%d}", (start + timedelta(days=1)).timestamp())
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return PeriodWindow(f"m{first:%Y%m}", f"{first:%Y-%m-%d}", _month_after(first).timestamp())


def parse_period_id(period_id: str) -> PeriodWindow | None:
    """Return the period instance a counter's period id names, or None when it names none."""
    m = _ID.match(period_id)
    if m is None:
        return None
    if period_id == "total":
        return period_window("total", 0.0)
    try:
        if m.group(1):
            day = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
            return period_window("daily", day.timestamp())
        return period_window("monthly", datetime(int(m.group(4)), int(m.group(5)), 1, tzinfo=UTC).timestamp())
    except ValueError:
        return None


def current_starts(now: float) -> tuple[str, ...]:
    """First days of the daily, monthly and total periods containing `now`: what to restore from."""
    return tuple(period_window(p, now).start for p in ("daily", "monthly", "total"))
