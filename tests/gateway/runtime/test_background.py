"""Work after the response: not cancelled with the request, failures logged, drained at shutdown."""

from __future__ import annotations

import asyncio

import pytest

from gateway.runtime.background import BackgroundTasks


async def test_spawned_work_outlives_the_cancelled_request() -> None:
    tasks, done = BackgroundTasks(), asyncio.Event()

    async def store() -> None:
        await asyncio.sleep(0.01)
        done.set()

    async def request() -> None:
        tasks.spawn(store(), "store")
        await asyncio.sleep(3600)  # the client goes away while this waits

    handler = asyncio.create_task(request())
    await asyncio.sleep(0)
    handler.cancel()
    await tasks.drain()
    assert done.is_set() and tasks.pending == 0


async def test_failed_work_is_logged_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()

    async def broken() -> None:
        raise ValueError("boom")

    tasks.spawn(broken(), "gw-cache-store")
    await tasks.drain()
    assert tasks.pending == 0
    assert "gw-cache-store failed (ValueError)" in caplog.text


async def test_drain_waits_for_pending_work() -> None:
    tasks, finished = BackgroundTasks(), []

    async def slow(n: int) -> None:
        await asyncio.sleep(0.01 * n)
        finished.append(n)

    for n in range(3):
        tasks.spawn(slow(n), f"slow-{n}")
    assert tasks.pending == 3
    await tasks.drain()
    assert sorted(finished) == [0, 1, 2]
