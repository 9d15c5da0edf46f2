"""A reservation id names one hold and one lease per counter, in-process and on Valkey alike.

Regression for the parity property test: the in-process store kept every lease it ever gave an id, so
the earliest one reclaimed a hold that had since been renewed (or settled and reserved again), while
Valkey kept one lease per id; and both stores lost track of part of a hold reserved twice under one id.
The in-process store also created counters for a refused reservation, which Valkey does not.
"""

from __future__ import annotations

from gateway.limits.store import Charge, Hold, LimitStore
from tests.gateway.limits.conftest import Clock


def hold(prefix: str, amount: int) -> list[Hold]:
    return [Hold(counter=f"{prefix}b:c", amount=amount, limit=1000)]


async def used(store: LimitStore, prefix: str) -> tuple[int, ...]:
    return (await store.reserve("probe", hold(prefix, 0), lease_s=1)).used


async def test_a_renewed_lease_is_not_reclaimed_at_the_expiry_it_replaced(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    await store.reserve("r", hold(prefix, 0), lease_s=30)
    clock.advance(10)
    await store.reserve("r", hold(prefix, 5), lease_s=30)  # lease now ends 40 s after the first
    clock.advance(20)
    assert await used(store, prefix) == (5,)
    clock.advance(10)
    assert await used(store, prefix) == (0,)


async def test_an_id_reserved_again_after_settling_keeps_its_new_lease(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    await store.reserve("r", hold(prefix, 5), lease_s=30)
    await store.settle("r", [Charge(counter=f"{prefix}b:c", amount=0)])
    clock.advance(10)
    await store.reserve("r", hold(prefix, 7), lease_s=30)
    clock.advance(20)
    assert await used(store, prefix) == (7,)


async def test_reserving_again_under_a_live_id_adds_to_its_hold_and_settle_releases_all(
    store: LimitStore, prefix: str
) -> None:
    await store.reserve("r", hold(prefix, 5), lease_s=30)
    assert (await store.reserve("r", hold(prefix, 7), lease_s=30)).used == (5,)
    assert await used(store, prefix) == (12,)
    assert await store.settle("r", [Charge(counter=f"{prefix}b:c", amount=3)]) == (3,)


async def test_a_hold_reserved_twice_is_reclaimed_whole_when_its_lease_expires(
    store: LimitStore, prefix: str, clock: Clock
) -> None:
    await store.reserve("dead", hold(prefix, 5), lease_s=30)
    await store.reserve("dead", hold(prefix, 7), lease_s=30)
    clock.advance(31)
    assert await used(store, prefix) == (0,)


async def test_a_refused_reservation_creates_no_counter(store: LimitStore, prefix: str) -> None:
    counter = f"{prefix}b:c"
    refused = await store.reserve("r", [Hold(counter=counter, amount=1, limit=0)], lease_s=30)
    assert not refused.admitted
    assert await store.seed(counter, 40, None)  # durable spend still restores it
    assert await used(store, prefix) == (40,)
