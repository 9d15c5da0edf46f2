"""Which requests a budget scope covers, and the UTC periods its counters live in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from compiler.specs import ScopeSpec
from gateway.limits.periods import parse_period_id, period_window
from gateway.limits.scopes import scope_instances
from gateway.ports import LimitContext, VirtualKey

CTX = LimitContext(
    key=VirtualKey(id="k1", tags=("team-b", "team-a")),
    route_id="chat",
    provider_id="openai-main",
    model="gpt-4o-2024-08-06",
    metadata={"env": "prod"},
)


@pytest.mark.parametrize(
    ("scope", "instances"),
    [
        (ScopeSpec(kind="global"), ("*",)),
        (ScopeSpec(kind="key", value="k1"), ("k1",)),
        (ScopeSpec(kind="key", value="k2"), ()),
        (ScopeSpec(kind="key"), ("k1",)),
        (ScopeSpec(kind="key_tag", value="team-a"), ("team-a",)),
        (ScopeSpec(kind="key_tag"), ("team-a", "team-b")),
        (ScopeSpec(kind="metadata", metadata_key="env", value="prod"), ("prod",)),
        (ScopeSpec(kind="metadata", metadata_key="env", value="dev"), ()),
        (ScopeSpec(kind="metadata", metadata_key="user"), ()),
        (ScopeSpec(kind="route", value="chat"), ("chat",)),
        (ScopeSpec(kind="provider", value="anthropic"), ()),
        (ScopeSpec(kind="model", value="gpt-4o"), ("gpt-4o",)),
        (ScopeSpec(kind="model", value="gpt-4o-2024-08-06"), ("gpt-4o-2024-08-06",)),
        (ScopeSpec(kind="model", value="gpt-4"), ()),
    ],
)
def test_scope_matches_its_instances(scope: ScopeSpec, instances: tuple[str, ...]) -> None:
    assert scope_instances(scope, CTX) == instances


def test_key_scopes_do_not_apply_to_anonymous_requests() -> None:
    anonymous = LimitContext(route_id="chat")
    assert scope_instances(ScopeSpec(kind="key"), anonymous) == ()
    assert scope_instances(ScopeSpec(kind="key_tag"), anonymous) == ()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def test_daily_period_ends_at_utc_midnight() -> None:
    assert period_window("daily", at(2026, 11, 26, 23, 59, 59)) == (
        "d20261126",
        "2026-11-26",
        at(2026, 11, 27),
    )


def test_monthly_period_rolls_over_the_year() -> None:
    assert period_window("monthly", at(2026, 12, 31, 12)) == ("m202612", "2026-12-01", at(2027, 1, 1))


def test_total_period_never_ends() -> None:
    assert period_window("total", at(2026, 1, 1)) == ("total", "0001-01-01", None)


@pytest.mark.parametrize("period_id", ["d20261126", "m202602", "total"])
def test_period_ids_parse_back_to_their_period(period_id: str) -> None:
    parsed = parse_period_id(period_id)
    assert parsed is not None and parsed.id == period_id


@pytest.mark.parametrize("period_id", ["d20261332", "m2026", "x", "2026-11-26"])
def test_malformed_period_ids_parse_to_none(period_id: str) -> None:
    assert parse_period_id(period_id) is None
