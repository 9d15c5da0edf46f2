"""The `on_valkey_down` policy: what the limiter does while the shared store cannot answer.

`local`: enforce per replica with an in-process store until Valkey answers again (each replica then
admits up to the full limit on its own: N replicas may admit up to N times the limit for the length of
the outage). `fail_closed`: refuse; the limiter turns that into a 503. Either way never a 500.

After a failure the shared store is left alone for `probe_interval_s`, so an outage costs one
connection timeout per interval rather than one per request. A reservation is settled where it was
made. One made in Valkey whose settle cannot reach Valkey charges no counter (the ledger still records
the spend) and Valkey reclaims its hold when the lease expires.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, TypeVar

from gateway.limits.memory import MemoryStore
from gateway.limits.store import (
    Charge,
    Hold,
    HoldOutcome,
    LimitStore,
    StoreUnavailable,
    Window,
    WindowOutcome,
)

__all__ = ["FallbackStore", "OnValkeyDown"]

OnValkeyDown = Literal["local", "fail_closed"]

_log = logging.getLogger("gw.limits")
_T = TypeVar("_T")


class FallbackStore:
    """A shared store with a local stand-in, switched by the `on_valkey_down` policy."""

    def __init__(
        self,
        shared: LimitStore,
        local: MemoryStore,
        policy: OnValkeyDown,
        *,
        probe_interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = local
        self._policy = policy
        self._probe_interval_s = probe_interval_s
        self._monotonic = monotonic
        self._down_until = 0.0
        self._down = False

    @property
    def degraded(self) -> bool:
        """Whether the shared store is currently considered down."""
        return self._down

    def _failed(self, exc: StoreUnavailable) -> None:
        self._down_until = self._monotonic() + self._probe_interval_s
        if not self._down:
            self._down = True
            action = "enforcing limits per replica" if self._policy == "local" else "refusing requests"
            _log.warning("shared limit store unavailable (%s); %s until it answers", exc, action)

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            _log.warning("shared limit store answers again; limits are shared across replicas")

    async def _route(self, shared: Callable[[], Awaitable[_T]], local: Callable[[], Awaitable[_T]]) -> _T:
        if not self._down or self._monotonic() >= self._down_until:
            try:
                result = await shared()
            except StoreUnavailable as exc:
                self._failed(exc)
                if self._policy == "fail_closed":
                    raise
            else:
                self._recovered()
                return result
        elif self._policy == "fail_closed":
            raise StoreUnavailable("shared limit store unavailable")
        return await local()

    async def reserve(self, reservation_id: str, holds: Sequence[Hold], lease_s: float) -> HoldOutcome:
        """Reserve in the shared store, or locally while it is down and the policy allows."""
        return await self._route(
            lambda: self._shared.reserve(reservation_id, holds, lease_s),
            lambda: self._local.reserve(reservation_id, holds, lease_s),
        )

    async def settle(self, reservation_id: str, charges: Sequence[Charge]) -> tuple[int, ...]:
        """Settle where the reservation was made; fall back as `reserve` does."""
        if self._local.knows(reservation_id):
            return await self._local.settle(reservation_id, charges)
        return await self._route(
            lambda: self._shared.settle(reservation_id, charges),
            lambda: self._local.settle(reservation_id, charges),
        )

    async def hit(self, windows: Sequence[Window]) -> WindowOutcome:
        """Count in the shared windows, or locally while the shared store is down."""
        return await self._route(lambda: self._shared.hit(windows), lambda: self._local.hit(windows))

    async def seed(self, counter: str, spent: int, expire_at: float | None) -> bool:
        """Seed the shared counter and the local stand-in, so a fallback starts from durable spend."""
        await self._local.seed(counter, spent, expire_at)
        try:
            return await self._shared.seed(counter, spent, expire_at)
        except StoreUnavailable as exc:
            self._failed(exc)
            return False
