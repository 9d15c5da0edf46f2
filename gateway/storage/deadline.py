"""Bounded waits on database calls that may hang (a partitioned network answers nothing, not an error).

`asyncio.wait_for` waits for the cancelled call to finish cleaning up, and cleaning up a connection
to an unreachable host (a rollback, a close) can hang as long as the call did. `Deadlines.run`
stops waiting at the deadline and leaves the cancelled call to end in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Deadlines"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Deadlines:
    """Runs calls with a deadline; keeps abandoned calls referenced until they end."""

    def __init__(self) -> None:
        self._abandoned: set[asyncio.Task[Any]] = set()  # Any: whatever an abandoned call returns

    @property
    def abandoned(self) -> int:
        """Calls given up on that have not ended yet."""
        return len(self._abandoned)

    def _reap(self, task: asyncio.Task[Any]) -> None:  # Any: as above
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("abandoned database call ended", extra={"gw.error": type(task.exception()).__name__})

    async def run(self, call: Coroutine[Any, Any, T], timeout_s: float) -> T:  # Any: coroutine plumbing
        """Await `call` for at most `timeout_s`; then raise TimeoutError without waiting for its cleanup."""
        task = asyncio.ensure_future(call)
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout_s)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._reap)
        raise TimeoutError(f"database call exceeded {timeout_s:g}s")
