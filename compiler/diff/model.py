"""What a semantic diff reports: one `Change` per difference that matters, risky ones flagged."""

from __future__ import annotations

import msgspec

__all__ = ["Change", "DiffResult"]


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One meaningful difference between two compiled configs."""

    kind: str
    """What changed, e.g. `route_removed`, `weights_changed`, `guardrail_removed`, `budget_raised`."""
    subject: str
    """Where: `route chat`, `route chat config.targets[1]`, `budget eu`, `policy`."""
    message: str
    """One lowercase sentence a reviewer can act on."""
    risky: bool = False
    """Loosens safety or resilience: a guardrail dropped, a budget raised past the factor, a fallback
    target removed, a route removed."""
    details: tuple[str, ...] = ()
    """Extra lines (e.g. each target's traffic share before and after)."""


class DiffResult(msgspec.Struct, frozen=True, kw_only=True):
    """Every change from `old_hash` to `new_hash`, in a stable order."""

    old_hash: str
    new_hash: str
    changes: tuple[Change, ...] = ()

    @property
    def risky(self) -> tuple[Change, ...]:
        """The changes flagged as risky."""
        return tuple(c for c in self.changes if c.risky)
