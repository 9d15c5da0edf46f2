"""What a counter store does, whatever holds the counters: the in-process store or Valkey.

Two kinds of counters, both exact:

* **Spend counters** (one per budget scope instance and period): `spent` plus `reserved`, with every
  live reservation kept under its id and leased until an expiry. `reserve` first reclaims expired
  leases, then admits the reservation on *all* counters or on none; `settle` removes the reservation
  and adds the actual charge. Amounts are integer nanodollars.
* **A reservation id names one hold and one lease per counter.** Reserving again under an id still
  live on a counter adds the new amount to its hold (admission counts the old hold as used) and
  renews its lease to now + `lease_s`; the earlier expiry no longer applies. At lease expiry the whole
  hold is reclaimed; `settle` releases the whole hold. An id whose hold was settled or reclaimed
  starts afresh. (The limiter gives every reservation a new id; the rule keeps both stores exact.)
* A refused reservation changes no counter and creates none (expired leases it reclaimed stay
  reclaimed); `settle` charges only counters that exist, so it never creates one either.
* **Sliding windows** (rate limits): a log of (time, weight) entries with a running sum; entries older
  than the window fall out. `hit` checks every window and records on all of them or on none.

Both backends implement the same semantics and are tested against the same cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

__all__ = ["Charge", "Hold", "HoldOutcome", "LimitStore", "StoreUnavailable", "Window", "WindowOutcome"]


class StoreUnavailable(Exception):
    """The shared counter store cannot be reached; the caller applies the `on_valkey_down` policy."""


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    """Reserve `amount` on one spend counter, refused when it would pass `limit`."""

    counter: str
    amount: int
    """Nanodollars to hold."""
    limit: int | None = None
    """Nanodollars the counter may reach; None never refuses (alert-only budgets still count)."""
    expire_at: float | None = None
    """Unix time after which the counter may be dropped (end of its period plus a grace)."""


class HoldOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The result of a reservation: admitted on all counters, or refused by one."""

    admitted: bool
    refused: int = -1
    """Index of the refusing hold, -1 when admitted."""
    used: tuple[int, ...] = ()
    """Spent plus reserved on each counter before this reservation (up to the refusing one)."""


class Charge(msgspec.Struct, frozen=True, kw_only=True):
    """Settle one counter: drop the reservation and add `amount` as spent."""

    counter: str
    amount: int


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """One sliding window to check and record on."""

    key: str
    weight: int
    """Added on admission (1 for a request, n for tokens); 0 only checks that the window is not full."""
    limit: int | None = None
    """Largest sum the window may hold; None records without checking."""
    window_s: float = 60.0


class WindowOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The result of a rate-limit hit."""

    admitted: bool
    refused: int = -1
    retry_after_s: float = 0.0
    """Time until the refusing window has room again."""


class LimitStore(Protocol):
    """Holds spend counters and sliding windows; every method is atomic across its arguments."""

    async def reserve(self, reservation_id: str, holds: Sequence[Hold], lease_s: float) -> HoldOutcome:
        """Reserve on every counter or on none; reclaim expired leases first.

        A live id adds to its hold on each counter and renews its lease there (see the module docs).
        """
        ...

    async def settle(self, reservation_id: str, charges: Sequence[Charge]) -> tuple[int, ...]:
        """Replace the reservation by the charges; return spent plus reserved on each counter after."""
        ...

    async def hit(self, windows: Sequence[Window]) -> WindowOutcome:
        """Record the weights on every window or on none."""
        ...

    async def seed(self, counter: str, spent: int, expire_at: float | None) -> bool:
        """Create a spend counter at `spent` unless it exists; return whether it was created."""
        ...
