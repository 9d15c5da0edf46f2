"""Bounded waits: a hung call is abandoned at its deadline even when its cleanup hangs too."""

from __future__ import annotations

import asyncio

import pytest

from gateway.storage.deadline import Deadlines


async def test_a_call_that_finishes_in_time_returns_its_value() -> None:
    async def quick() -> int:
        return 42

    assert await Deadlines().run(quick(), 1.0) == 42


async def test_errors_of_the_call_propagate() -> None:
    async def broken() -> None:
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        await Deadlines().run(broken(), 1.0)


async def test_a_hung_call_whose_cleanup_also_hangs_is_abandoned_then_reaped() -> None:
    release = asyncio.Event()

    async def hung() -> None:
        try:
            await asyncio.Event().wait()
        finally:  # cleanup that blocks, like a rollback on a dead connection
            await release.wait()

    deadlines = Deadlines()
    with pytest.raises(TimeoutError, match=r"exceeded 0\.05s"):
        await deadlines.run(hung(), 0.05)
    assert deadlines.abandoned == 1
    release.set()
    for _ in range(100):
        if deadlines.abandoned == 0:
            break
        await asyncio.sleep(0.01)
    assert deadlines.abandoned == 0


async def test_cancelling_the_waiter_cancels_the_call() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    waiter = asyncio.ensure_future(Deadlines().run(slow(), 60))
    await started.wait()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(cancelled.wait(), 5)
