"""Work done after the response is sent (cache stores): referenced until done, drained at shutdown.

A task created here is not the request's: a client that disconnects, or a request that is cancelled,
does not cancel it, and its failure is logged, never raised into a response that was already sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["BackgroundTasks"]

_LOG = logging.getLogger("gw.background")


class BackgroundTasks:
    """Runs coroutines off the request path and keeps them referenced until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """How many tasks have not finished yet."""
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:  # Any: coroutine plumbing
        """Start `work` now on the running loop; the caller does not wait for it."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.warning("background task %s failed (%s)", task.get_name(), type(task.exception()).__name__)

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait for the pending tasks (at shutdown, before the components they use are closed)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
