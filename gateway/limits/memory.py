"""In-process counter store: exact under asyncio because no method awaits between check and write."""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Sequence

from gateway.limits.store import Charge, Hold, HoldOutcome, Window, WindowOutcome

__all__ = ["MemoryStore"]

_SWEEP_EVERY = 1024
"""Drop expired counters, leases and idle windows once per this many operations."""


class _Counter:
    """Spend plus live reservations of one budget scope instance and period."""

    __slots__ = ("expire_at", "lease_ends", "leases", "reservations", "reserved", "spent")

    def __init__(self, expire_at: float | None) -> None:
        self.spent = 0
        self.reserved = 0
        self.reservations: dict[str, int] = {}
        self.lease_ends: dict[str, float] = {}
        """Reservation id → its current lease expiry (one lease per reservation, as in Valkey's zset)."""
        self.leases: list[tuple[float, str]] = []
        """Heap of (lease expiry, reservation id); entries of settled or renewed leases are skipped lazily."""
        self.expire_at = expire_at

    def reclaim(self, now: float) -> None:
        """Release reservations whose lease ran out (their requests died without settling)."""
        while self.leases and self.leases[0][0] <= now:
            end, rid = heapq.heappop(self.leases)
            if self.lease_ends.get(rid) != end:
                continue  # settled, or renewed by a later reservation under the same id
            del self.lease_ends[rid]
            self.reserved -= self.reservations.pop(rid)

    def hold(self, rid: str, amount: int, lease_end: float) -> None:
        """Add `amount` to the reservation's hold (a live id tops up) and renew its lease."""
        self.reserved += amount
        self.reservations[rid] = self.reservations.get(rid, 0) + amount
        self.lease_ends[rid] = lease_end
        heapq.heappush(self.leases, (lease_end, rid))

    def release(self, rid: str) -> None:
        """Drop the reservation's hold, if it is still live."""
        self.lease_ends.pop(rid, None)
        self.reserved -= self.reservations.pop(rid, 0)


class _Log:
    """A sliding window: (time, weight) entries in time order and their sum."""

    __slots__ = ("entries", "total")

    def __init__(self) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0

    def trim(self, cutoff: float) -> None:
        """Drop entries at or before the cutoff."""
        while self.entries and self.entries[0][0] <= cutoff:
            self.total -= self.entries.popleft()[1]

    def retry_after(self, need: int, now: float, window_s: float) -> float:
        """Time until at least `need` weight has left the window (the window length if never)."""
        freed = 0
        for at, weight in self.entries:
            freed += weight
            if freed >= need:
                return max(0.0, at + window_s - now)
        return window_s


class MemoryStore:
    """Counters in this process; the `LimitStore` used without Valkey and as the `local` fallback."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counters: dict[str, _Counter] = {}
        self._logs: dict[str, _Log] = {}
        self._live: dict[str, float] = {}
        """Reservation id → lease expiry, to tell a local reservation from one held elsewhere."""
        self._operations = 0

    def knows(self, reservation_id: str) -> bool:
        """Say whether a reservation with this id was made here and not settled yet."""
        return reservation_id in self._live

    def _existing(self, key: str, now: float) -> _Counter | None:
        counter = self._counters.get(key)
        if counter is None or (counter.expire_at is not None and counter.expire_at <= now):
            return None
        return counter

    def _counter(self, key: str, expire_at: float | None, now: float) -> _Counter:
        counter = self._existing(key, now)
        if counter is None:
            counter = self._counters[key] = _Counter(expire_at)
        return counter

    def _maybe_sweep(self, now: float) -> None:
        self._operations += 1
        if self._operations % _SWEEP_EVERY:
            return
        for key in [k for k, c in self._counters.items() if c.expire_at is not None and c.expire_at <= now]:
            del self._counters[key]
        for key in [k for k, log in self._logs.items() if not log.entries or log.entries[-1][0] < now - 3600]:
            del self._logs[key]
        for rid in [r for r, end in self._live.items() if end <= now]:
            del self._live[rid]

    async def reserve(self, reservation_id: str, holds: Sequence[Hold], lease_s: float) -> HoldOutcome:
        """Reserve on every counter or on none; reclaim expired leases first."""
        now = self._clock()
        self._maybe_sweep(now)
        used: list[int] = []
        for index, hold in enumerate(holds):
            # Only looked up: a refused reservation creates no counter (as in Valkey).
            counter = self._existing(hold.counter, now)
            current = 0
            if counter is not None:
                counter.reclaim(now)
                current = counter.spent + counter.reserved
            used.append(current)
            if hold.limit is not None and (
                current + hold.amount > hold.limit or (hold.amount == 0 and current >= hold.limit)
            ):
                return HoldOutcome(admitted=False, refused=index, used=tuple(used))
        for hold in holds:
            self._counter(hold.counter, hold.expire_at, now).hold(reservation_id, hold.amount, now + lease_s)
        self._live[reservation_id] = now + lease_s
        return HoldOutcome(admitted=True, used=tuple(used))

    async def settle(self, reservation_id: str, charges: Sequence[Charge]) -> tuple[int, ...]:
        """Replace the reservation by the charges; a counter whose period ended is left alone."""
        now = self._clock()
        self._live.pop(reservation_id, None)
        used: list[int] = []
        for charge in charges:
            counter = self._counters.get(charge.counter)
            if counter is None or (counter.expire_at is not None and counter.expire_at <= now):
                used.append(0)
                continue
            counter.release(reservation_id)
            counter.spent += charge.amount
            used.append(counter.spent + counter.reserved)
        return tuple(used)

    async def seed(self, counter: str, spent: int, expire_at: float | None) -> bool:
        """Create a spend counter at `spent` unless a live one exists; return whether it was created."""
        now = self._clock()
        existing = self._counters.get(counter)
        if existing is not None and (existing.expire_at is None or existing.expire_at > now):
            return False
        created = self._counters[counter] = _Counter(expire_at)
        created.spent = spent
        return True

    def _refusal(self, windows: Sequence[Window], logs: Sequence[_Log], now: float) -> WindowOutcome | None:
        for index, (window, log) in enumerate(zip(windows, logs, strict=True)):
            if window.limit is None:
                continue
            if window.weight > 0:
                need = log.total + window.weight - window.limit
            else:
                need = log.total - window.limit + 1
            if need > 0:
                wait = log.retry_after(need, now, window.window_s)
                return WindowOutcome(admitted=False, refused=index, retry_after_s=wait)
        return None

    async def hit(self, windows: Sequence[Window]) -> WindowOutcome:
        """Record the weights on every window or on none."""
        now = self._clock()
        self._maybe_sweep(now)
        logs = [self._logs.setdefault(w.key, _Log()) for w in windows]
        for window, log in zip(windows, logs, strict=True):
            log.trim(now - window.window_s)
        refusal = self._refusal(windows, logs, now)
        if refusal is not None:
            return refusal
        for window, log in zip(windows, logs, strict=True):
            if window.weight > 0:
                log.entries.append((now, window.weight))
                log.total += window.weight
        return WindowOutcome(admitted=True)
