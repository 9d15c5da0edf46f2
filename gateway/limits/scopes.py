"""Which counters a request touches: budgets and per-key limits resolved against a LimitContext.

Counter and window keys (under the configured prefix, `gw:` by default):

    b:<budget id>:<period id>:<scope instance>      spend counter of a `budget` manifest
    k:<period id>:<key id>                          spend counter of a key's own `budget_usd`
    rl:<budget id>:<req|tok>:<scope instance>       rate window of a `budget` manifest
    rlk:<req|tok>:<key id>                          rate window of a key's own rpm / tpm

A scope with an empty `value` applies to each instance separately (every key, every tag, every
route, …); a `model` scope also matches the model's dated snapshots (`gpt-4o` counts
`gpt-4o-2024-08-06`). Provider and model are only known once routing chose a leaf, so their rate
windows are counted at `reserve`, the others at `admit_request`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Literal

import msgspec

from compiler.specs import BudgetSpec, ScopeSpec
from gateway.limits.nanodollars import to_nanos
from gateway.limits.periods import Period, PeriodWindow, parse_period_id, period_window
from gateway.limits.pricing import undated
from gateway.limits.store import Window
from gateway.ports import LimitContext

__all__ = ["LimitPlan", "PlannedHold", "PlannedWindow", "period_of_scope", "scope_instances", "to_windows"]

_LEAF_SCOPES = frozenset({"provider", "model"})
_MAX_INSTANCE_LEN = 128


class PlannedHold(msgspec.Struct, frozen=True, kw_only=True):
    """A spend counter this request must reserve on."""

    label: str
    """Names the budget in messages and logs: `budget \\`team-a\\`` or `the key's budget`."""
    counter: str
    limit: int
    """Nanodollars per period."""
    hard: bool
    period: Period
    period_end: float | None
    default_reservation: int | None = None
    """Nanodollars to hold when the model has no price."""


class PlannedWindow(msgspec.Struct, frozen=True, kw_only=True):
    """A rate window this request is counted in."""

    label: str
    key: str
    limit: int
    metric: Literal["req", "tok"]


def _instance(value: str) -> str:
    if len(value) <= _MAX_INSTANCE_LEN:
        return value
    return "h-" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _matching(wanted: str, actual: str) -> tuple[str, ...]:
    if not actual:
        return ()
    return (actual,) if not wanted or wanted == actual else ()


def scope_instances(scope: ScopeSpec, ctx: LimitContext) -> tuple[str, ...]:
    """Return the scope instances the request falls in (none when the scope does not apply)."""
    key = ctx.key
    match scope.kind:
        case "global":
            return ("*",)
        case "key":
            return _matching(scope.value, key.id) if key is not None else ()
        case "key_tag":
            tags = key.tags if key is not None else ()
            return tuple(sorted({t for t in tags if not scope.value or t == scope.value}))
        case "metadata":
            if scope.metadata_key is None or scope.metadata_key not in ctx.metadata:
                return ()
            return _matching(scope.value, ctx.metadata[scope.metadata_key])
        case "route":
            return _matching(scope.value, ctx.route_id)
        case "provider":
            return _matching(scope.value, ctx.provider_id)
        case "model":
            if scope.value and ctx.model and undated(ctx.model) == scope.value:
                return (scope.value,)
            return _matching(scope.value, ctx.model)
    return ()


def period_of_scope(scope_key: str) -> PeriodWindow | None:
    """Return the period a spend counter's key (without prefix) belongs to, None if it is no counter key.

    `b:<budget>:<period>:<instance>` and `k:<period>:<key id>`: budget ids and period ids contain no
    `:`, so the period sits at a fixed position whatever the instance holds."""
    parts = scope_key.split(":", 3)
    if parts[0] == "b" and len(parts) == 4:
        return parse_period_id(parts[2])
    if parts[0] == "k" and len(parts) >= 3:
        return parse_period_id(parts[1])
    return None


class LimitPlan:
    """The budgets of one compiled gateway, split by what they limit and when they are counted."""

    def __init__(self, budgets: Sequence[BudgetSpec], *, prefix: str = "gw:", grace_s: float = 600.0) -> None:
        self._prefix = prefix
        self._grace_s = grace_s
        self._spend = tuple(b for b in budgets if b.limit_usd is not None)
        rated = tuple(b for b in budgets if b.requests_per_minute or b.tokens_per_minute)
        self._request_rated = tuple(b for b in rated if b.scope.kind not in _LEAF_SCOPES)
        self._leaf_rated = tuple(b for b in rated if b.scope.kind in _LEAF_SCOPES)
        self._token_rated = tuple(b for b in rated if b.tokens_per_minute)
        self._periods: dict[Period, tuple[float, PeriodWindow]] = {}

    def _period(self, period: Period, now: float) -> PeriodWindow:
        """The period instance containing `now`, memoised until it ends (computing it costs µs)."""
        cached = self._periods.get(period)
        if cached is not None and cached[0] <= now and (cached[1].end is None or now < cached[1].end):
            return cached[1]
        window = period_window(period, now)
        self._periods[period] = (now, window)
        return window

    def holds(self, ctx: LimitContext, now: float) -> list[PlannedHold]:
        """Spend counters to reserve on, in a fixed order."""
        out: list[PlannedHold] = []
        for budget in self._spend:
            assert budget.limit_usd is not None
            window = self._period(budget.period, now)
            default = budget.default_reservation_usd
            for instance in scope_instances(budget.scope, ctx):
                out.append(
                    PlannedHold(
                        label=f"budget `{budget.id}`",
                        counter=f"{self._prefix}b:{budget.id}:{window.id}:{_instance(instance)}",
                        limit=to_nanos(budget.limit_usd),
                        hard=budget.action == "deny",
                        period=budget.period,
                        period_end=window.end,
                        default_reservation=None if default is None else to_nanos(default),
                    )
                )
        key = ctx.key
        if key is not None and key.budget_usd is not None:
            window = self._period(key.budget_period, now)
            out.append(
                PlannedHold(
                    label="the key's budget",
                    counter=f"{self._prefix}k:{window.id}:{_instance(key.id)}",
                    limit=to_nanos(key.budget_usd),
                    hard=True,
                    period=key.budget_period,
                    period_end=window.end,
                )
            )
        return out

    def expire_at(self, hold: PlannedHold) -> float | None:
        """When the hold's counter may be dropped: its period's end plus the lease grace."""
        return None if hold.period_end is None else hold.period_end + self._grace_s

    def _budget_windows(self, budgets: Sequence[BudgetSpec], ctx: LimitContext) -> list[PlannedWindow]:
        out: list[PlannedWindow] = []
        for budget in budgets:
            for instance in scope_instances(budget.scope, ctx):
                out += _per_minute_windows(
                    f"{self._prefix}rl:{budget.id}:",
                    _instance(instance),
                    (budget.requests_per_minute, budget.tokens_per_minute),
                    _budget_rate_label(budget.id),
                )
        return out

    def _key_windows(self, ctx: LimitContext) -> list[PlannedWindow]:
        key = ctx.key
        if key is None:
            return []
        return _per_minute_windows(
            f"{self._prefix}rlk:",
            _instance(key.id),
            (key.requests_per_minute, key.tokens_per_minute),
            lambda n, unit: f"the key's limit of {n} {unit} per minute",
        )

    def request_windows(self, ctx: LimitContext) -> list[PlannedWindow]:
        """Windows counted once per request, at admission (key, tag, metadata, route, global)."""
        return self._key_windows(ctx) + self._budget_windows(self._request_rated, ctx)

    def leaf_windows(self, ctx: LimitContext) -> list[PlannedWindow]:
        """Windows counted per provider call, at reservation (provider, model)."""
        return self._budget_windows(self._leaf_rated, ctx)

    def token_windows(self, ctx: LimitContext) -> list[PlannedWindow]:
        """Every tokens-per-minute window the call's actual tokens are recorded in."""
        windows = self._key_windows(ctx) + self._budget_windows(self._token_rated, ctx)
        return [w for w in windows if w.metric == "tok"]


def _budget_rate_label(budget_id: str) -> Callable[[int, str], str]:
    return lambda n, unit: f"budget `{budget_id}` ({n} {unit} per minute)"


def _per_minute_windows(
    base: str, instance: str, limits: tuple[int | None, int | None], label: Callable[[int, str], str]
) -> list[PlannedWindow]:
    """The requests- and tokens-per-minute windows of one limit under `base` (each only when set)."""
    rpm, tpm = limits
    out: list[PlannedWindow] = []
    if rpm:
        out.append(
            PlannedWindow(label=label(rpm, "requests"), key=f"{base}req:{instance}", limit=rpm, metric="req")
        )
    if tpm:
        out.append(
            PlannedWindow(label=label(tpm, "tokens"), key=f"{base}tok:{instance}", limit=tpm, metric="tok")
        )
    return out


def to_windows(planned: Sequence[PlannedWindow], window_s: float, tokens: int | None = None) -> list[Window]:
    """Turn planned windows into store windows: a request checks and counts itself; tokens only record."""
    if tokens is not None:
        return [Window(key=p.key, weight=tokens, limit=None, window_s=window_s) for p in planned]
    return [
        Window(key=p.key, weight=1 if p.metric == "req" else 0, limit=p.limit, window_s=window_s)
        for p in planned
    ]
