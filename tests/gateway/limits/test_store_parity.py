"""Differential check: random operation sequences give identical answers in-process and on Valkey."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from valkey.asyncio import Valkey

from gateway.limits.memory import MemoryStore
from gateway.limits.store import Charge, Hold, LimitStore, Window
from gateway.limits.valkey_store import ValkeyStore
from tests.gateway.limits.conftest import Clock
from tests.services import ValkeyServer

COUNTERS = ("a", "b", "c")
WINDOWS = ("req", "tok")

reserve = st.tuples(
    st.just("reserve"),
    st.integers(0, 5),
    st.lists(st.sampled_from(COUNTERS), min_size=1, max_size=3, unique=True),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 100)),
)
settle = st.tuples(st.just("settle"), st.integers(0, 5), st.integers(0, 40))
stray_settle = st.tuples(  # on counters the reservation may never have held (or was refused on)
    st.just("stray_settle"),
    st.integers(0, 5),
    st.lists(st.sampled_from(COUNTERS), min_size=1, max_size=3, unique=True),
    st.integers(0, 40),
)
seed = st.tuples(st.just("seed"), st.sampled_from(COUNTERS), st.integers(0, 40))
advance = st.tuples(st.just("advance"), st.sampled_from([1, 10, 29, 31, 59, 61]))
hit = st.tuples(
    st.just("hit"),
    st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=2, unique=True),
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(0, 50)),
)
operations = st.lists(st.one_of(reserve, settle, stray_settle, seed, advance, hit), min_size=1, max_size=25)


async def replay(store: LimitStore, clock: Clock, prefix: str, ops: list[tuple[Any, ...]]) -> list[Any]:
    answers: list[Any] = []
    holds: dict[int, list[str]] = {}
    for op in ops:
        match op:
            case ("reserve", rid, counters, amount, limit):
                keys = [f"{prefix}{c}" for c in counters]
                outcome = await store.reserve(
                    f"r{rid}", [Hold(counter=k, amount=amount, limit=limit) for k in keys], 30
                )
                if outcome.admitted:
                    holds[rid] = keys
                answers.append(outcome)
            case ("settle", rid, amount):
                keys = holds.pop(rid, [])
                answers.append(
                    await store.settle(f"r{rid}", [Charge(counter=k, amount=amount) for k in keys])
                )
            case ("stray_settle", rid, counters, amount):
                holds.pop(rid, None)
                charges = [Charge(counter=f"{prefix}{c}", amount=amount) for c in counters]
                answers.append(await store.settle(f"r{rid}", charges))
            case ("seed", counter, spent):
                answers.append(await store.seed(f"{prefix}{counter}", spent, None))
            case ("advance", seconds):
                clock.advance(seconds)
            case ("hit", names, weight, limit):
                windows = [Window(key=f"{prefix}w:{n}", weight=weight, limit=limit) for n in names]
                answers.append(await store.hit(windows))
    return answers


async def both(url: str, ops: list[tuple[Any, ...]]) -> tuple[list[Any], list[Any]]:
    memory_clock, valkey_clock = Clock(), Clock()
    valkey_clock.now = memory_clock.now
    client = Valkey.from_url(url)
    try:
        prefix = f"gw:parity-{uuid.uuid4().hex[:8]}:"
        shared = await replay(ValkeyStore(client, valkey_clock), valkey_clock, prefix, ops)
    finally:
        await client.aclose()
    return await replay(MemoryStore(memory_clock), memory_clock, "gw:", ops), shared


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_memory_and_valkey_stores_agree(valkey_server: ValkeyServer, ops: list[tuple[Any, ...]]) -> None:
    in_process, on_valkey = asyncio.run(both(valkey_server.url, ops))
    assert in_process == on_valkey
