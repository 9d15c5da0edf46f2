"""Circuit breakers per target: closed → open after failures → half-open probe → closed or open.

The board outlives config reloads (a reload does not forgive a failing upstream) and its state is
what `GET /admin/breakers` shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from compiler.specs import CircuitBreakerSpec

__all__ = ["BreakerBoard", "BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(slots=True)
class CircuitBreaker:
    """One target's breaker."""

    spec: CircuitBreakerSpec
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = "closed"
    failures: int = 0
    requests: int = 0
    opened_at: float = 0.0
    probing: bool = False

    def allow(self) -> bool:
        """Whether a call may go through now (in half-open, only one probe at a time)."""
        if self.state == "closed":
            return True
        if self.state == "open":
            if self.clock() - self.opened_at < self.spec.cooldown_ms / 1000.0:
                return False
            self.state = "half_open"
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def is_open(self) -> bool:
        """Whether the breaker would refuse a call right now (without claiming the probe)."""
        if self.state == "open":
            return self.clock() - self.opened_at < self.spec.cooldown_ms / 1000.0
        return self.state == "half_open" and self.probing

    def record(self, status: int) -> None:
        """Record an attempt's outcome (its HTTP status; 408/502 for timeouts and resets)."""
        self.requests += 1
        failed = status in self.spec.failure_status_codes or status in (408, 502)
        if not failed:
            self.state, self.failures, self.probing = "closed", 0, False
            return
        self.failures += 1
        if self.state == "half_open" or (
            self.failures >= self.spec.failure_threshold and self.requests >= self.spec.minimum_requests
        ):
            self.state, self.opened_at, self.probing = "open", self.clock(), False

    def release(self) -> None:
        """Give back a half-open probe slot that was claimed but not used."""
        self.probing = False

    def snapshot(self) -> dict[str, object]:
        """State for the admin endpoint."""
        remaining = 0.0
        if self.state == "open":
            remaining = max(0.0, self.spec.cooldown_ms / 1000.0 - (self.clock() - self.opened_at))
        return {
            "state": "half_open" if self.state == "open" and remaining == 0.0 else self.state,
            "consecutive_failures": self.failures,
            "failure_threshold": self.spec.failure_threshold,
            "cooldown_remaining_s": round(remaining, 3),
        }


class BreakerBoard:
    """Breakers by target key (`<route>:<path>:<provider>`), created on first use."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, key: str, spec: CircuitBreakerSpec) -> CircuitBreaker:
        """The breaker for a target; a changed spec (after reload) replaces it."""
        breaker = self._breakers.get(key)
        if breaker is None or breaker.spec != spec:
            if len(self._breakers) > 10_000:
                self._breakers.clear()
            breaker = self._breakers[key] = CircuitBreaker(spec=spec, clock=self._clock)
        return breaker

    def peek(self, key: str) -> CircuitBreaker | None:
        """The breaker for a key if one exists."""
        return self._breakers.get(key)

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Every breaker's state, by key."""
        return {key: breaker.snapshot() for key, breaker in sorted(self._breakers.items())}
