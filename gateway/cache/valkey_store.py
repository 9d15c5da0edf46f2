"""The shared exact-cache backend: Valkey, so replicas share entries.

Errors propagate to the caller (`ResponseCache`), which degrades to MISS, logs and counts them.
Timeouts are short: a cache that answers slower than the upstream is worse than no cache.
"""

from __future__ import annotations

import math

import valkey.asyncio as avalkey

__all__ = ["ValkeyStore"]

_PREFIX = "gw:cache:"


class ValkeyStore:
    """Exact-cache entries in Valkey under `gw:cache:<key>`, with the TTL as EXPIRE."""

    def __init__(self, url: str, *, timeout_s: float = 0.5) -> None:
        self._client: avalkey.Valkey = avalkey.Valkey.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry_on_timeout=False,
        )

    async def get(self, key: str) -> bytes | None:
        """Return the value, or None when absent (Valkey expires entries itself)."""
        value = await self._client.get(_PREFIX + key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store a value for ttl_s seconds (rounded up to whole milliseconds)."""
        if ttl_s <= 0:
            return
        await self._client.set(_PREFIX + key, value, px=max(1, math.ceil(ttl_s * 1000)))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
