"""The one reference to what is being served; reload swaps it atomically.

A request reads `holder.current` once at its start and keeps that `Serving` to the end, so an
in-flight request finishes on the config it started with.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.runtime.executor import Executor
from gateway.runtime.linked import RuntimeGateway
from gateway.runtime.selection import RouteSelector

__all__ = ["GatewayHolder", "Serving"]


@dataclass(frozen=True, slots=True)
class Serving:
    """One config version: the linked gateway, its route selector (header-config memo) and executor."""

    gateway: RuntimeGateway
    selector: RouteSelector
    executor: Executor


class GatewayHolder:
    """Holds the current Serving; `swap` replaces it in one assignment."""

    def __init__(self, serving: Serving) -> None:
        self._current = serving
        self.generation = 0

    @property
    def current(self) -> Serving:
        """What new requests are served with."""
        return self._current

    def swap(self, serving: Serving) -> Serving:
        """Install a new config version; return the previous one."""
        previous, self._current = self._current, serving
        self.generation += 1
        return previous
