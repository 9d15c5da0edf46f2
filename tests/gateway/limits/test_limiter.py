"""BudgetLimiter: reserve → settle against budgets, per-key limits and rate windows, on both stores."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import LimitStore
from gateway.ports import LimitContext, Limiter, VirtualKey
from gateway.usage import Usage
from tests.gateway.limits.conftest import Clock

SRC = Source(file="budgets/team.yaml", line=1, col=1)
# 10 USD per million tokens either way: 1000 prompt + 1000 max output = 0.02 USD held per request.
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)


def budget(id: str, kind: str = "global", value: str = "", **kw: Any) -> BudgetSpec:
    return BudgetSpec(id=id, scope=ScopeSpec(kind=kind, value=value), source=SRC, **kw)  # type: ignore[arg-type]


def ctx(**kw: Any) -> LimitContext:
    base: dict[str, Any] = {
        "key": VirtualKey(id="k1", tags=("team-a",)),
        "route_id": "chat",
        "provider_id": "openai-main",
        "provider_type": "openai",
        "model": "flat",
        "estimated_prompt_tokens": 1000,
        "max_tokens": 1000,
    }
    return LimitContext(**(base | kw))


def make(store: LimitStore, clock: Clock, prefix: str, *budgets: BudgetSpec, **config: Any) -> BudgetLimiter:
    return BudgetLimiter(
        budgets=budgets,
        costs=CostCalculator(PRICES),
        store=store,
        config=LimiterConfig(key_prefix=prefix, **config),
        clock=clock,
    )


async def test_200_concurrent_reservations_admit_exactly_50_and_never_overspend(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=1.0))
    results = await asyncio.gather(*(limiter.reserve(ctx()) for _ in range(200)), return_exceptions=True)
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(admitted) == 50
    assert all(isinstance(e, LimitExceeded) and e.code == "budget_exceeded" for e in refused)
    actual = Usage(prompt_tokens=1000, completion_tokens=700)
    costs = await asyncio.gather(*(limiter.settle(r, ctx(), actual) for r in admitted))
    assert sum(c or 0 for c in costs) == pytest.approx(0.85)
    assert max(r.remaining_usd or 0.0 for r in admitted) == pytest.approx(0.15)  # after the last settle


async def test_interleaved_reserve_and_settle_never_spend_past_the_budget(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=1.0))
    spent: list[float] = []

    async def call(i: int) -> None:
        try:
            reservation = await limiter.reserve(ctx())
        except LimitExceeded:
            return
        await asyncio.sleep(0.001 * (i % 5))
        cost = await limiter.settle(reservation, ctx(), Usage(prompt_tokens=1000, completion_tokens=1000))
        spent.append(cost or 0.0)

    await asyncio.gather(*(call(i) for i in range(200)))
    assert len(spent) == 50
    assert sum(spent) == pytest.approx(1.0)


async def test_budget_refusal_is_a_429_with_remaining_budget_and_no_retry(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.03, period="monthly"))
    await limiter.reserve(ctx())
    with pytest.raises(LimitExceeded) as caught:
        await limiter.reserve(ctx())
    error = caught.value
    assert (error.status, error.type, error.code) == (429, "budget_exceeded", "budget_exceeded")
    assert error.headers["x-gw-budget-remaining"] == "0.010000"
    assert error.headers["x-should-retry"] == "false"
    assert int(error.headers["Retry-After"]) > 0
    assert "`team`" in error.message and error.body()["error"]["type"] == "budget_exceeded"


async def test_total_budget_refusal_has_no_retry_after(store: LimitStore, clock: Clock, prefix: str) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.01, period="total"))
    with pytest.raises(LimitExceeded) as caught:
        await limiter.reserve(ctx())
    assert "Retry-After" not in caught.value.headers


async def test_remaining_budget_is_reported_after_reserve_and_after_settle(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=1.0), budget("wide", limit_usd=5.0))
    reservation = await limiter.reserve(ctx())
    assert reservation.remaining_usd == pytest.approx(0.98)
    await limiter.settle(reservation, ctx(), Usage(prompt_tokens=500, completion_tokens=500))
    assert reservation.remaining_usd == pytest.approx(0.99)


async def test_alert_budget_allows_and_reports(
    store: LimitStore, clock: Clock, prefix: str, caplog: Any
) -> None:
    limiter = make(store, clock, prefix, budget("watch", limit_usd=0.01, action="alert"))
    reservation = await limiter.reserve(ctx())
    assert reservation.alerts == ("budget `watch`",)
    assert reservation.remaining_usd is None
    assert "budget alert" in caplog.text


async def test_key_budget_refuses_only_that_key(store: LimitStore, clock: Clock, prefix: str) -> None:
    limiter = make(store, clock, prefix)
    poor = VirtualKey(id="poor", budget_usd=0.02, budget_period="daily")
    await limiter.reserve(ctx(key=poor))
    with pytest.raises(LimitExceeded, match="the key's budget"):
        await limiter.reserve(ctx(key=poor))
    await limiter.reserve(ctx(key=VirtualKey(id="rich", budget_usd=1.0)))


async def test_scoped_budget_counts_only_its_route(store: LimitStore, clock: Clock, prefix: str) -> None:
    limiter = make(store, clock, prefix, budget("chat-only", "route", "chat", limit_usd=0.02))
    await limiter.reserve(ctx())
    with pytest.raises(LimitExceeded):
        await limiter.reserve(ctx())
    reservation = await limiter.reserve(ctx(route_id="summaries"))
    assert reservation.holds == ()


async def test_unpriced_model_holds_the_default_and_is_charged_it(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.25, default_reservation_usd=0.1))
    local = ctx(model="llama-3-70b")
    first = await limiter.reserve(local)
    assert first.holds[0][1] == pytest.approx(0.1)
    assert await limiter.settle(first, local, Usage(prompt_tokens=10, completion_tokens=10)) is None
    await limiter.reserve(local)
    with pytest.raises(LimitExceeded):
        await limiter.reserve(local)


async def test_unpriced_model_without_default_is_refused_once_budget_is_spent(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.02))
    spend = await limiter.reserve(ctx())
    await limiter.settle(spend, ctx(), Usage(prompt_tokens=1000, completion_tokens=1000))
    with pytest.raises(LimitExceeded):
        await limiter.reserve(ctx(model="llama-3-70b"))


async def test_release_returns_the_hold_and_settling_twice_changes_nothing(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.02))
    reservation = await limiter.reserve(ctx())
    assert await limiter.settle(reservation, ctx(), None) is None
    again = await limiter.reserve(ctx())
    await limiter.settle(again, ctx(), Usage(prompt_tokens=1000, completion_tokens=1000))
    await limiter.settle(again, ctx(), Usage(prompt_tokens=1000, completion_tokens=1000))
    assert again.remaining_usd == 0.0
    await limiter.settle(reservation, ctx(), Usage(prompt_tokens=1000, completion_tokens=1000))
    assert again.remaining_usd == 0.0


async def test_dead_request_hold_is_reclaimed_after_its_lease(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.02), lease_s=30.0)
    await limiter.reserve(ctx())  # its request dies: never settled
    with pytest.raises(LimitExceeded):
        await limiter.reserve(ctx())
    clock.advance(31)
    assert (await limiter.reserve(ctx())).remaining_usd == pytest.approx(0.0)


async def test_key_requests_per_minute_refuse_with_retry_after(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix)
    key = VirtualKey(id="k-rpm", requests_per_minute=3)
    for _ in range(3):
        await limiter.admit_request(ctx(key=key))
        clock.advance(1)
    with pytest.raises(LimitExceeded) as caught:
        await limiter.admit_request(ctx(key=key))
    error = caught.value
    assert (error.status, error.type, error.code) == (429, "rate_limit_error", "rate_limit_exceeded")
    assert error.headers["Retry-After"] == "57"
    assert error.headers["retry-after-ms"] == "57000"


async def test_tokens_per_minute_count_actual_tokens_at_settle(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("tag-tpm", "key_tag", "team-a", tokens_per_minute=1500))
    await limiter.admit_request(ctx())
    reservation = await limiter.reserve(ctx())
    await limiter.settle(reservation, ctx(), Usage(prompt_tokens=1000, completion_tokens=600))
    with pytest.raises(LimitExceeded, match="1500 tokens per minute"):
        await limiter.admit_request(ctx())
    await limiter.admit_request(ctx(key=VirtualKey(id="other", tags=("team-b",))))


async def test_provider_rate_limit_is_counted_per_call_and_releases_the_hold(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(
        store,
        clock,
        prefix,
        budget("openai-rpm", "provider", "openai-main", requests_per_minute=1),
        budget("team", limit_usd=0.04),
    )
    await limiter.admit_request(ctx())
    await limiter.admit_request(ctx())
    await limiter.reserve(ctx())
    with pytest.raises(LimitExceeded, match="requests per minute"):
        await limiter.reserve(ctx())
    other = await limiter.reserve(ctx(provider_id="anthropic-main"))
    assert other.remaining_usd == pytest.approx(0.0)


async def test_per_instance_scope_gives_each_key_its_own_counter(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("each-key", "key", limit_usd=0.02))
    await limiter.reserve(ctx(key=VirtualKey(id="a")))
    await limiter.reserve(ctx(key=VirtualKey(id="b")))
    with pytest.raises(LimitExceeded):
        await limiter.reserve(ctx(key=VirtualKey(id="a")))


async def test_budget_limiter_satisfies_the_limiter_port(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter: Limiter = make(store, clock, prefix)  # checked by mypy: the executor's port
    reservation = await limiter.reserve(ctx())
    assert await limiter.settle(reservation, ctx(), Usage(prompt_tokens=1)) == pytest.approx(1e-5)


async def test_settle_completes_even_when_the_request_is_cancelled(
    store: LimitStore, clock: Clock, prefix: str
) -> None:
    limiter = make(store, clock, prefix, budget("team", limit_usd=0.02))
    reservation = await limiter.reserve(ctx())
    settling = asyncio.create_task(
        limiter.settle(reservation, ctx(), Usage(prompt_tokens=400, completion_tokens=600))
    )
    await asyncio.sleep(0)
    settling.cancel()  # the client went away while the gateway was settling
    with pytest.raises(asyncio.CancelledError):
        await settling
    for _ in range(200):
        try:
            follow_up = await limiter.reserve(ctx(max_tokens=0, estimated_prompt_tokens=1000))
        except LimitExceeded:
            await asyncio.sleep(0.005)
        else:
            break
    else:
        pytest.fail("the cancelled settle never released its hold")
    assert follow_up.remaining_usd == pytest.approx(0.02 - 0.01 - 0.01)
