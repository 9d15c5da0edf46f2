"""The counter-store contract, checked on the in-process store and on real Valkey alike."""

from __future__ import annotations

import asyncio

from gateway.limits.store import Charge, Hold, LimitStore, Window
from tests.gateway.limits.conftest import Clock


def holds(prefix: str, amount: int, limit: int | None = 100) -> list[Hold]:
    return [
        Hold(counter=f"{prefix}b:a", amount=amount, limit=limit),
        Hold(counter=f"{prefix}b:soft", amount=amount, limit=None),
    ]


async def test_reservations_are_admitted_up_to_the_limit_exactly(store: LimitStore, prefix: str) -> None:
    outcomes = [await store.reserve(f"r{i}", holds(prefix, 25), lease_s=60) for i in range(5)]
    assert [o.admitted for o in outcomes] == [True, True, True, True, False]
    assert outcomes[4].refused == 0
    assert outcomes[4].used == (100,)


async def test_a_refusal_on_one_counter_holds_nothing_on_the_others(store: LimitStore, prefix: str) -> None:
    tight = [
        Hold(counter=f"{prefix}b:wide", amount=10, limit=1000),
        Hold(counter=f"{prefix}b:tight", amount=10, limit=5),
    ]
    refused = await store.reserve("r1", tight, lease_s=60)
    assert not refused.admitted and refused.refused == 1
    probe = await store.reserve("r2", [Hold(counter=f"{prefix}b:wide", amount=0, limit=1000)], lease_s=60)
    assert probe.used == (0,)


async def test_settle_replaces_the_hold_by_the_actual_charge(store: LimitStore, prefix: str) -> None:
    await store.reserve("r1", holds(prefix, 60), lease_s=60)
    used = await store.settle(
        "r1", [Charge(counter=f"{prefix}b:a", amount=7), Charge(counter=f"{prefix}b:soft", amount=7)]
    )
    assert used == (7, 7)
    assert (await store.reserve("r2", holds(prefix, 93), lease_s=60)).admitted


async def test_releasing_returns_the_whole_hold(store: LimitStore, prefix: str) -> None:
    await store.reserve("r1", holds(prefix, 100), lease_s=60)
    assert await store.settle("r1", [Charge(counter=f"{prefix}b:a", amount=0)]) == (0,)


async def test_zero_hold_is_refused_once_the_budget_is_used_up(store: LimitStore, prefix: str) -> None:
    await store.reserve("r1", holds(prefix, 100), lease_s=60)
    await store.settle("r1", [Charge(counter=f"{prefix}b:a", amount=100)])
    assert not (await store.reserve("r2", holds(prefix, 0), lease_s=60)).admitted


async def test_an_expired_lease_is_reclaimed_by_the_next_reservation(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    assert (await store.reserve("dead", holds(prefix, 100), lease_s=30)).admitted
    assert not (await store.reserve("r2", holds(prefix, 1), lease_s=30)).admitted
    clock.advance(31)
    outcome = await store.reserve("r3", holds(prefix, 100), lease_s=30)
    assert outcome.admitted and outcome.used == (0, 0)


async def test_settling_after_the_lease_expired_still_charges_the_spend(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    await store.reserve("slow", holds(prefix, 50), lease_s=10)
    clock.advance(11)
    await store.reserve("other", holds(prefix, 10), lease_s=10)
    used = await store.settle("slow", [Charge(counter=f"{prefix}b:a", amount=40)])
    assert used == (50,)


async def test_concurrent_reservations_never_overcommit(store: LimitStore, prefix: str) -> None:
    results = await asyncio.gather(
        *(store.reserve(f"r{i}", [Hold(counter=f"{prefix}b:c", amount=3, limit=100)], 60) for i in range(60))
    )
    assert sum(r.admitted for r in results) == 33


async def test_request_window_admits_up_to_the_limit_then_says_when(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    window = [Window(key=f"{prefix}rl:req", weight=1, limit=3)]
    for _ in range(3):
        assert (await store.hit(window)).admitted
        clock.advance(10)
    refused = await store.hit(window)
    assert not refused.admitted and refused.retry_after_s == 30.0
    clock.advance(30)
    assert (await store.hit(window)).admitted


async def test_window_slides_rather_than_resetting_on_the_minute(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    window = [Window(key=f"{prefix}rl:req", weight=1, limit=2)]
    assert (await store.hit(window)).admitted
    clock.advance(59)
    assert (await store.hit(window)).admitted
    clock.advance(2)  # the first entry left, the second has 57 s to go
    assert (await store.hit(window)).admitted
    assert not (await store.hit(window)).admitted


async def test_token_window_refuses_while_full_and_frees_by_weight(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    key = f"{prefix}rl:tok"
    check = [Window(key=key, weight=0, limit=1000)]
    await store.hit([Window(key=key, weight=600, limit=None)])
    clock.advance(20)
    await store.hit([Window(key=key, weight=500, limit=None)])
    refused = await store.hit(check)
    assert not refused.admitted and refused.retry_after_s == 40.0
    clock.advance(40)
    assert (await store.hit(check)).admitted


async def test_a_full_window_refuses_without_counting_on_the_others(store: LimitStore, prefix: str) -> None:
    loose, tight = f"{prefix}rl:loose", f"{prefix}rl:tight"
    both = [Window(key=loose, weight=1, limit=10), Window(key=tight, weight=1, limit=1)]
    assert (await store.hit(both)).admitted
    refused = await store.hit(both)
    assert not refused.admitted and refused.refused == 1
    for _ in range(9):
        assert (await store.hit([Window(key=loose, weight=1, limit=10)])).admitted
