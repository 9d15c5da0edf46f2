"""Counters in Valkey, shared by every replica: each operation is one Lua script, hence atomic.

Scripts are called by SHA (EVALSHA) and loaded on `NOSCRIPT` (a restarted or flushed server), so the
script text crosses the network once per server lifetime. Keys, all under the configured prefix:

    <prefix>b:…, <prefix>k:…          spend counter hash: spent, reserved, r:<reservation id> → amount
    <counter>:leases                  zset: reservation id scored by lease expiry (ms)
    <prefix>rl:…, <prefix>rlk:…        sliding-window log zset: '<uid>:<weight>' scored by time (ms)
    <window>:sum                      the window's running sum

Period counters expire (PEXPIREAT) at the end of their period plus a grace; windows expire one
second after their last entry leaves. A script touches several keys, so a Valkey Cluster would need
them in one slot: gw supports a single primary (with replicas for failover).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from valkey.asyncio import Valkey
from valkey.exceptions import NoScriptError, ValkeyError

from gateway.limits.lua import HIT, RESERVE, SEED, SETTLE
from gateway.limits.store import Charge, Hold, HoldOutcome, StoreUnavailable, Window, WindowOutcome

__all__ = ["ValkeyStore"]


class _Script:
    """A script's text and the SHA1 that EVALSHA names it by."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


_RESERVE, _SETTLE, _HIT, _SEED = _Script(RESERVE), _Script(SETTLE), _Script(HIT), _Script(SEED)


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


class ValkeyStore:
    """The shared `LimitStore`; raises StoreUnavailable when Valkey cannot answer."""

    def __init__(self, client: Valkey, clock: Callable[[], float] | None = None) -> None:
        """Use `client` (its socket timeouts bound every call); `clock` overrides the server clock (tests)."""
        self._client = client
        self._clock = clock

    def _now(self) -> str:
        return "" if self._clock is None else _ms(self._clock())

    async def _evalsha(self, script: _Script, keys: Sequence[str], args: Sequence[str]) -> list[Any]:
        # Any: the reply of a script is untyped wire data; valkey-py types evalsha as sync-or-async.
        call = self._client.evalsha(script.sha, len(keys), *keys, *args)
        return list(await cast("Awaitable[list[Any]]", call))

    async def _eval(self, script: _Script, keys: Sequence[str], args: Sequence[str]) -> list[int]:
        try:
            try:
                reply = await self._evalsha(script, keys, args)
            except NoScriptError:
                await self._client.script_load(script.text)
                reply = await self._evalsha(script, keys, args)
        except (ValkeyError, OSError) as exc:
            raise StoreUnavailable(f"valkey: {type(exc).__name__}: {exc}") from exc
        return [int(x) for x in reply]

    async def reserve(self, reservation_id: str, holds: Sequence[Hold], lease_s: float) -> HoldOutcome:
        """Reserve on every counter or on none; reclaim expired leases first."""
        if not holds:
            return HoldOutcome(admitted=True)
        keys: list[str] = []
        args = [reservation_id, self._now(), _ms(lease_s)]
        for hold in holds:
            keys += [hold.counter, hold.counter + ":leases"]
            limit = -1 if hold.limit is None else hold.limit
            expire = "0" if hold.expire_at is None else _ms(hold.expire_at)
            args += [str(limit), str(hold.amount), expire]
        reply = await self._eval(_RESERVE, keys, args)
        admitted, refused, used = reply[0] == 1, reply[1] - 1, tuple(reply[2:])
        return HoldOutcome(admitted=admitted, refused=refused, used=used)

    async def settle(self, reservation_id: str, charges: Sequence[Charge]) -> tuple[int, ...]:
        """Replace the reservation by the charges; a counter whose period ended is left alone."""
        if not charges:
            return ()
        keys: list[str] = []
        for charge in charges:
            keys += [charge.counter, charge.counter + ":leases"]
        args = [reservation_id, *(str(c.amount) for c in charges)]
        return tuple(await self._eval(_SETTLE, keys, args))

    async def hit(self, windows: Sequence[Window]) -> WindowOutcome:
        """Record the weights on every window or on none."""
        if not windows:
            return WindowOutcome(admitted=True)
        keys: list[str] = []
        args = [self._now(), uuid.uuid4().hex[:16]]
        for window in windows:
            keys += [window.key, window.key + ":sum"]
            limit = -1 if window.limit is None else window.limit
            args += [str(limit), str(window.weight), _ms(window.window_s)]
        admitted, refused, wait_ms = await self._eval(_HIT, keys, args)
        if admitted == 1:
            return WindowOutcome(admitted=True)
        return WindowOutcome(admitted=False, refused=refused - 1, retry_after_s=wait_ms / 1000)

    async def seed(self, counter: str, spent: int, expire_at: float | None) -> bool:
        """Create a spend counter at `spent` unless it exists; return whether it was created."""
        expire = "0" if expire_at is None else _ms(expire_at)
        return (await self._eval(_SEED, [counter], [str(spent), expire]))[0] == 1
