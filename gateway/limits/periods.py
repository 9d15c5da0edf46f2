"""Budget periods in UTC: the counter a moment belongs to and when that counter stops mattering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

__all__ = ["Period", "PeriodWindow", "period_window"]

Period = Literal["daily", "monthly", "total"]


class PeriodWindow(NamedTuple):
    """One period instance: an id that names its counter and its end (None for `total`)."""

    id: str
    """`d20261126`, `m202611` or `total`."""
    end: float | None
    """Unix time at which the period ends."""


def period_window(period: Period, now: float) -> PeriodWindow:
    """Return the UTC period instance that contains `now` (unix seconds)."""
    if period == "total":
        return PeriodWindow("total", None)
    moment = datetime.fromtimestamp(now, UTC)
    if period == "daily":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return PeriodWindow(f"d{moment:%Y%m%d}", (start + timedelta(days=1)).timestamp())
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return PeriodWindow(f"m{moment:%Y%m}", following.timestamp())
