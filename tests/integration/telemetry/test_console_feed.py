"""The console feed stays bounded whatever the traffic, and folds lazily (batches, or on a look)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.telemetry import Telemetry
from gateway.telemetry.console import FOLD_BATCH, RECENT, ConsoleFeed
from gateway.telemetry.series import MAX_KEYS, MINUTES

T0 = 1_800_000_000.0  # a minute boundary


@dataclass
class Done:
    """A finished request as the feed sees it."""

    finished_at: float = T0
    route: str = "chat"
    model: str | None = "m"
    key_id: str | None = None
    trace_id: str = "t"
    stream: bool = False
    status: int = 200
    latency_ms: float = 10.0
    cost_usd: float | None = 0.01
    cache_status: str = "DISABLED"
    guardrails: list[dict[str, str]] = field(default_factory=list)
    tokens: int = 3
    error: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)  # Any: JSON log values


def test_recent_ring_keeps_only_the_newest_requests() -> None:
    feed = ConsoleFeed()
    for i in range(RECENT + 50):
        feed.record(Done(trace_id=str(i)))
    assert len(feed.recent) == RECENT
    assert feed.recent[-1].trace_id == str(RECENT + 49)


def test_requests_are_folded_in_batches_or_when_someone_looks() -> None:
    feed = ConsoleFeed()
    for _ in range(FOLD_BATCH - 1):
        feed.record(Done())
    assert not feed.series.buckets  # nothing folded yet: the request path only appended
    (minute,) = feed.window(1, now=T0)
    assert minute.requests == FOLD_BATCH - 1


def test_history_is_bounded_to_the_last_hour() -> None:
    feed = ConsoleFeed()
    for m in range(MINUTES * 3):
        feed.record(Done(finished_at=T0 + 60 * m))
    feed.fold()
    assert len(feed.series.buckets) == MINUTES
    assert feed.series.buckets[0].start == T0 + 60 * (MINUTES * 2)


def test_spend_keys_per_minute_are_capped_and_the_rest_is_other() -> None:
    feed = ConsoleFeed()
    for i in range(MAX_KEYS + 10):
        feed.record(Done(key_id=f"k{i}"))
    (minute,) = feed.window(1, now=T0)
    keys = [value for dim, value in minute.spend if dim == "key"]
    assert len(keys) == MAX_KEYS + 1
    assert round(minute.spend[("key", "other")], 6) == 0.1


def test_minute_totals_errors_cache_verdicts_and_percentiles() -> None:
    feed = ConsoleFeed()
    for latency in range(1, 101):
        feed.record(Done(latency_ms=float(latency), cache_status="HIT" if latency % 4 == 0 else "MISS"))
    feed.record(
        Done(status=503, cost_usd=None, guardrails=[{"id": "g", "phase": "input", "verdict": "flag"}])
    )
    feed.record(Done(status=446))
    (minute,) = feed.window(1, now=T0 + 59)
    assert (minute.requests, minute.errors, minute.refused) == (102, 1, 1)
    assert minute.hit_rate == 0.25  # 25 hits in 100 lookups (the last two were not looked up)
    assert minute.verdicts == {("g", "flag"): 1}
    p50 = minute.percentile_ms(0.5)
    assert p50 is not None and 50 <= p50 <= 50 * 1.25 + 1


def test_late_request_of_an_earlier_minute_lands_in_its_own_bucket() -> None:
    feed = ConsoleFeed()
    feed.record(Done(finished_at=T0))
    feed.record(Done(finished_at=T0 + 180))
    feed.record(Done(finished_at=T0 + 61))
    window = feed.window(4, now=T0 + 180)
    assert [m.requests for m in window] == [1, 1, 0, 1]


def test_the_feed_exists_only_when_the_console_can_be_opened() -> None:
    assert Telemetry.from_env({}).console is None
    assert isinstance(Telemetry.from_env({"GW_ADMIN_TOKEN": "t"}).console, ConsoleFeed)
    assert Telemetry.from_env({"GW_METRICS": "0"}).metrics is None
