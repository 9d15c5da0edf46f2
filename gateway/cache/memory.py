"""The embedded exact-cache backend: an LRU bounded by entry count and by bytes, with TTLs."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["MemoryStore"]


class MemoryStore:
    """In-process LRU of encoded responses; the default backend of the exact cache.

    Values are the encoded response bytes, so the byte bound is exact. Expired entries are
    dropped when read; the LRU order removes the rest when a bound is reached.
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        """Bytes held by stored values."""
        return self._bytes

    async def get(self, key: str) -> bytes | None:
        """Return the value, or None when absent or expired."""
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            self._discard(key)
            return None
        self._items.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store a value for ttl_s seconds, evicting the least recently used to fit."""
        if len(value) > self._max_bytes or ttl_s <= 0:
            return
        self._discard(key)
        self._items[key] = (self._clock() + ttl_s, value)
        self._bytes += len(value)
        while len(self._items) > self._max_entries or self._bytes > self._max_bytes:
            _, (_, old) = self._items.popitem(last=False)
            self._bytes -= len(old)

    def _discard(self, key: str) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._bytes -= len(item[1])

    async def close(self) -> None:
        """Nothing to release."""
