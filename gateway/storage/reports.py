"""Usage reports over the ledger: the numbers `gw usage report` prints and `GET /admin/usage` returns.

Both call `usage_report`, so they cannot disagree. Cost sums only priced rows; `unpriced_requests`
counts rows that used tokens at an unknown price, so an unknown price is visible instead of silently
adding 0. Requests refused before any call (auth, rate limit, budget) used no tokens and are not in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import RequestError
from gateway.storage.models import LedgerRow

__all__ = [
    "GROUP_BY",
    "GroupBy",
    "UsageGroup",
    "UsageReport",
    "parse_duration",
    "parse_since",
    "usage_report",
    "usage_report_for_query",
]

GroupBy = Literal["route", "model", "key", "day", "provider"]
GROUP_BY: tuple[GroupBy, ...] = ("route", "model", "key", "day", "provider")

_COLUMNS = {
    "route": LedgerRow.route_id,
    "model": LedgerRow.model,
    "key": LedgerRow.key_id,
    "day": LedgerRow.day,
    "provider": LedgerRow.provider_id,
}
_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class UsageGroup(msgspec.Struct, kw_only=True):
    """Totals for one group (one route, model, key, provider or UTC day)."""

    group: str | None
    requests: int
    errors: int
    """Requests that ended with a status of 400 or more."""
    prompt_tokens: int
    completion_tokens: int
    cached_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float
    """Sum over priced requests only."""
    unpriced_requests: int
    """Requests whose model had no price: their cost is unknown, not zero."""
    saved_usd: float
    cache_hits: int


class UsageReport(msgspec.Struct, kw_only=True):
    """A report: its filters, one entry per group (largest cost first) and the overall total."""

    group_by: GroupBy
    key_id: str | None
    since: datetime | None
    until: datetime | None
    groups: list[UsageGroup]
    total: UsageGroup


def parse_duration(text: str) -> timedelta | None:
    """`30m`, `24h`, `7d`, `2w` as a duration; None when the text is not one."""
    relative = _RELATIVE.match(text.strip())
    if relative is None:
        return None
    return timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """`7d`, `24h`, `30m`, `2w` (ago), or an ISO date/time (UTC unless it says otherwise)."""
    moment = now or datetime.now(UTC)
    ago = parse_duration(text)
    if ago is not None:
        return moment - ago
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RequestError(
            f"cannot read {text!r} as a time: use e.g. `7d`, `24h` or `2026-11-01`", param="since"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _query(group_by: GroupBy) -> Select[*tuple[Any, ...]]:  # Any: a row of mixed aggregates
    column = _COLUMNS[group_by]
    priced = LedgerRow.cost_usd.is_not(None)
    used = LedgerRow.prompt_tokens + LedgerRow.completion_tokens > 0
    return select(
        column.label("group"),
        func.count().label("requests"),
        func.sum(case((LedgerRow.status >= 400, 1), else_=0)).label("errors"),
        func.sum(LedgerRow.prompt_tokens).label("prompt_tokens"),
        func.sum(LedgerRow.completion_tokens).label("completion_tokens"),
        func.sum(LedgerRow.cached_read_tokens).label("cached_read_tokens"),
        func.sum(LedgerRow.cache_write_tokens).label("cache_write_tokens"),
        func.sum(LedgerRow.reasoning_tokens).label("reasoning_tokens"),
        func.sum(case((priced, LedgerRow.cost_usd), else_=0.0)).label("cost_usd"),
        func.sum(case((priced, 0), (used, 1), else_=0)).label("unpriced_requests"),
        func.sum(func.coalesce(LedgerRow.saved_usd, 0.0)).label("saved_usd"),
        func.sum(case((LedgerRow.cache_status.in_(("HIT", "SEMANTIC HIT")), 1), else_=0)).label("cache_hits"),
    ).group_by(column)


def _int(value: object) -> int:
    # PostgreSQL sums integers as NUMERIC (Decimal); SQLite as int.
    return int(value) if isinstance(value, int | float | Decimal) else 0


def _usd(value: object) -> float:
    return round(float(value), 9) if isinstance(value, int | float | Decimal) else 0.0


def _group(values: dict[str, object]) -> UsageGroup:
    def num(name: str) -> int:
        return _int(values.get(name))

    def usd(name: str) -> float:
        return _usd(values.get(name))

    group = values.get("group")
    return UsageGroup(
        group=None if group is None else str(group),
        requests=num("requests"),
        errors=num("errors"),
        prompt_tokens=num("prompt_tokens"),
        completion_tokens=num("completion_tokens"),
        cached_read_tokens=num("cached_read_tokens"),
        cache_write_tokens=num("cache_write_tokens"),
        reasoning_tokens=num("reasoning_tokens"),
        cost_usd=usd("cost_usd"),
        unpriced_requests=num("unpriced_requests"),
        saved_usd=usd("saved_usd"),
        cache_hits=num("cache_hits"),
    )


def _total(groups: list[UsageGroup]) -> UsageGroup:
    fields = [f for f in UsageGroup.__struct_fields__ if f != "group"]
    sums: dict[str, object] = {f: sum(getattr(g, f) for g in groups) for f in fields}
    sums["group"] = None
    return _group(sums)


async def usage_report(
    engine: AsyncEngine,
    *,
    group_by: GroupBy = "route",
    key_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> UsageReport:
    """Totals from the ledger grouped by route, model, key, provider or UTC day."""
    if group_by not in _COLUMNS:
        raise RequestError(
            f"cannot group by {group_by!r}: use one of {', '.join(GROUP_BY)}", param="group_by"
        )
    stmt = _query(group_by)
    if key_id is not None:
        stmt = stmt.where(LedgerRow.key_id == key_id)
    if since is not None:
        stmt = stmt.where(LedgerRow.ts >= since.timestamp())
    if until is not None:
        stmt = stmt.where(LedgerRow.ts < until.timestamp())
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).mappings().all()
    groups = sorted((_group(dict(r)) for r in rows), key=lambda g: (-g.cost_usd, -g.requests, g.group or ""))
    return UsageReport(
        group_by=group_by, key_id=key_id, since=since, until=until, groups=groups, total=_total(groups)
    )


async def usage_report_for_query(engine: AsyncEngine, query: Mapping[str, str]) -> UsageReport:
    """`GET /admin/usage?key=&since=&until=&group_by=`: the CLI's report from raw query parameters.

    Unknown parameters and bad values raise RequestError (400) naming the parameter.
    """
    unknown = sorted(set(query) - {"key", "since", "until", "group_by"})
    if unknown:
        raise RequestError(
            f"unknown query parameter `{unknown[0]}`: use key, since, until, group_by", param=unknown[0]
        )
    group_by = query.get("group_by", "route")
    if group_by not in GROUP_BY:
        choices = ", ".join(GROUP_BY)
        raise RequestError(f"cannot group by {group_by!r}: use one of {choices}", param="group_by")
    return await usage_report(
        engine,
        group_by=group_by,
        key_id=query.get("key") or None,
        since=parse_since(query["since"]) if query.get("since") else None,
        until=parse_since(query["until"]) if query.get("until") else None,
    )
