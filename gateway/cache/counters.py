"""Cache counters: lookups by route, mode and status; backend failures by backend.

Plain counters owned by one `ResponseCache` instance; the telemetry layer reads `snapshot()` (the
cache does not import prometheus, which sits in a layer that must stay independent).
"""

from __future__ import annotations

from collections import Counter

import msgspec

__all__ = ["CacheCounters", "CounterSnapshot"]


class CounterSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A copy of the counters at one moment."""

    lookups: tuple[tuple[str, str, str, int], ...]
    """(route_id, mode, status, count), sorted."""
    stores: tuple[tuple[str, str, int], ...]
    """(route_id, mode, count), sorted."""
    errors: tuple[tuple[str, int], ...]
    """(backend, count), sorted: `exact` (memory or Valkey) and `semantic` (model or LanceDB)."""


class CacheCounters:
    """Mutable counters of one cache instance."""

    def __init__(self) -> None:
        self._lookups: Counter[tuple[str, str, str]] = Counter()
        self._stores: Counter[tuple[str, str]] = Counter()
        self._errors: Counter[str] = Counter()

    def lookup(self, route_id: str, mode: str, status: str) -> None:
        """Count one lookup outcome."""
        self._lookups[(route_id, mode, status)] += 1

    def stored(self, route_id: str, mode: str) -> None:
        """Count one stored response."""
        self._stores[(route_id, mode)] += 1

    def error(self, backend: str) -> None:
        """Count one backend failure."""
        self._errors[backend] += 1

    def count(self, route_id: str, mode: str, status: str) -> int:
        """Return the number of lookups with this outcome."""
        return self._lookups[(route_id, mode, status)]

    def errors(self, backend: str) -> int:
        """Return the number of failures of a backend."""
        return self._errors[backend]

    def snapshot(self) -> CounterSnapshot:
        """Copy the counters."""
        return CounterSnapshot(
            lookups=tuple(sorted((*k, v) for k, v in self._lookups.items())),
            stores=tuple(sorted((*k, v) for k, v in self._stores.items())),
            errors=tuple(sorted(self._errors.items())),
        )
