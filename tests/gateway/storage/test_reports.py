"""Usage reports: grouping, filters, unpriced requests counted, and the `--since` syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import RequestError
from gateway.ports import UsageRecord
from gateway.storage.ledger import LedgerSink
from gateway.storage.reports import parse_since, usage_report
from gateway.usage import Usage

DAY1 = datetime(2026, 11, 24, 10, tzinfo=UTC).timestamp()
DAY2 = datetime(2026, 11, 25, 23, 59, tzinfo=UTC).timestamp()


def rec(n: int, ts: float, key: str, route: str, model: str, cost: float | None, **kw: object) -> UsageRecord:
    return UsageRecord(
        trace_id=f"t{n}",
        ts=ts,
        key_id=key,
        route_id=route,
        provider_id="openai",
        model=model,
        usage=Usage(prompt_tokens=100, completion_tokens=10, cached_read_tokens=30, reasoning_tokens=2),
        cost_usd=cost,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def ledger(engine: AsyncEngine, tmp_path: Path) -> AsyncEngine:
    sink = LedgerSink(engine, tmp_path / "spool.jsonl")
    for record in [
        rec(1, DAY1, "key_a", "chat", "gpt-4o", 0.25),
        rec(2, DAY1, "key_a", "chat", "gpt-4o", 0.25, cache_status="HIT", saved_usd=0.1),
        rec(3, DAY2, "key_b", "chat", "mystery-model", None),
        rec(4, DAY2, "key_b", "embed", "text-embedding-3-small", 0.01, status=500),
    ]:
        sink.record(record)
    await sink.aclose()
    return engine


async def test_report_by_route_sums_tokens_cost_and_counts_unpriced(ledger: AsyncEngine) -> None:
    report = await usage_report(ledger, group_by="route")
    chat, embed = report.groups
    assert (chat.group, chat.requests, chat.prompt_tokens, chat.completion_tokens) == ("chat", 3, 300, 30)
    assert (chat.cached_read_tokens, chat.reasoning_tokens) == (90, 6)
    assert chat.cost_usd == pytest.approx(0.5)
    assert chat.unpriced_requests == 1
    assert (chat.cache_hits, chat.saved_usd) == (1, pytest.approx(0.1))
    assert (embed.group, embed.errors, embed.cost_usd) == ("embed", 1, pytest.approx(0.01))
    assert report.total.requests == 4 and report.total.cost_usd == pytest.approx(0.51)
    assert report.total.unpriced_requests == 1


async def test_report_by_day_uses_utc_dates(ledger: AsyncEngine) -> None:
    report = await usage_report(ledger, group_by="day")
    assert sorted((g.group, g.requests) for g in report.groups) == [("2026-11-24", 2), ("2026-11-25", 2)]


async def test_report_filters_by_key_and_since(ledger: AsyncEngine) -> None:
    by_model = await usage_report(ledger, group_by="model", key_id="key_b")
    assert sorted(g.group or "" for g in by_model.groups) == ["mystery-model", "text-embedding-3-small"]
    recent = await usage_report(ledger, group_by="key", since=datetime(2026, 11, 25, tzinfo=UTC))
    assert [(g.group, g.requests) for g in recent.groups] == [("key_b", 2)]
    window = await usage_report(
        ledger,
        group_by="key",
        since=datetime(2026, 11, 24, tzinfo=UTC),
        until=datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert [(g.group, g.requests) for g in window.groups] == [("key_a", 2)]


async def test_empty_ledger_gives_an_empty_report_with_zero_totals(engine: AsyncEngine) -> None:
    report = await usage_report(engine, group_by="key")
    assert report.groups == [] and report.total.requests == 0 and report.total.cost_usd == 0.0


async def test_unknown_grouping_is_a_request_error(engine: AsyncEngine) -> None:
    with pytest.raises(RequestError, match="cannot group by 'colour'"):
        await usage_report(engine, group_by="colour")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", datetime(2026, 11, 19, 12, tzinfo=UTC)),
        ("24h", datetime(2026, 11, 25, 12, tzinfo=UTC)),
        ("30m", datetime(2026, 11, 26, 11, 30, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 12, 12, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:00:00+02:00", datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ],
)
def test_since_accepts_relative_and_iso_times(text: str, expected: datetime) -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert parse_since(text, now=now) == expected


def test_unreadable_since_says_what_is_accepted() -> None:
    with pytest.raises(RequestError, match=r"use e\.g\. `7d`"):
        parse_since("last tuesday")


def test_relative_since_defaults_to_now() -> None:
    assert datetime.now(UTC) - parse_since("1h") - timedelta(hours=1) < timedelta(seconds=5)


async def test_admin_query_gives_the_same_report_as_the_function(ledger: AsyncEngine) -> None:
    from gateway.storage.reports import usage_report_for_query

    via_query = await usage_report_for_query(
        ledger, {"group_by": "model", "key": "key_b", "since": "2026-11-25"}
    )
    direct = await usage_report(
        ledger, group_by="model", key_id="key_b", since=datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert via_query == direct


@pytest.mark.parametrize(
    ("query", "param"),
    [({"group_by": "colour"}, "group_by"), ({"since": "soon"}, "since"), ({"keyy": "x"}, "keyy")],
)
async def test_admin_query_rejects_bad_parameters_naming_them(
    engine: AsyncEngine, query: dict[str, str], param: str
) -> None:
    from gateway.storage.reports import usage_report_for_query

    with pytest.raises(RequestError) as info:
        await usage_report_for_query(engine, query)
    assert info.value.param == param and info.value.status == 400
