"""`BudgetLimiter`: the `gateway.ports.Limiter` the executor drives — rate limits, reserve, settle.

    admit_request   count the request in the key / tag / metadata / route / global rate windows
    reserve         hold the estimated maximum cost on every matching budget (all or none), then count
                    the provider / model rate windows (a refusal there releases the hold)
    settle          replace the hold by the actual cost, record the actual tokens in the
                    tokens-per-minute windows; never raises

The estimate: `estimated_prompt_tokens` (see `gateway.limits.estimate`) plus `max_tokens` (or
`default_max_tokens`) at the model's dearest input and output prices; a model without a price holds
the budget's `default_reservation_usd`, else the limiter's, else nothing (the request is still refused
once the budget is used up). The actual cost of an unpriced model is unknown: settle charges the budget
what was held and returns None for the ledger to record as unknown.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

import msgspec

from compiler.specs import BudgetSpec
from gateway.errors import LimitExceeded
from gateway.limits.journal import SpendJournal
from gateway.limits.nanodollars import from_nanos, to_nanos
from gateway.limits.pricing import CostCalculator
from gateway.limits.refusals import budget_refusal, format_usd, rate_refusal, unavailable_refusal
from gateway.limits.scopes import LimitPlan, PlannedHold, PlannedWindow, period_of_scope, to_windows
from gateway.limits.store import Charge, Hold, HoldOutcome, LimitStore, StoreUnavailable
from gateway.ports import LimitContext, Reservation
from gateway.usage import Usage

__all__ = ["BudgetLimiter", "LimiterConfig"]

_log = logging.getLogger("gw.limits")
_WARNED_LIMIT = 1024


class LimiterConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Tuning of the limiter (the limits themselves come from the compiled budgets and the keys)."""

    lease_s: float = 600.0
    """How long a reservation holds before its request is presumed dead and the hold reclaimed; keep it
    above the longest request (the policy's default deadline is 300 s)."""
    default_max_tokens: int = 4096
    """Output tokens assumed for the estimate when the request sets no `max_tokens`."""
    default_reservation_usd: float | None = None
    """Held for an unpriced model when its budget names no `default_reservation_usd`."""
    window_s: float = 60.0
    """Length of the rate-limit sliding windows."""
    key_prefix: str = "gw:"
    """Namespace of every Valkey key."""
    probe_interval_s: float = 1.0
    """After a Valkey failure, how long to stay on the fallback before trying Valkey again."""


class BudgetLimiter:
    """Budgets and rate limits over a `LimitStore`; rebuild it on reload with the same store."""

    def __init__(
        self,
        *,
        budgets: Sequence[BudgetSpec],
        costs: CostCalculator,
        store: LimitStore,
        config: LimiterConfig | None = None,
        clock: Callable[[], float] = time.time,
        journal: SpendJournal | None = None,
    ) -> None:
        """Limit by `budgets` (and each request's key), price with `costs`, count in `store`;
        `journal`, when given, receives every settled amount for durable storage."""
        self._config = config or LimiterConfig()
        self._journal = journal
        self._plan = LimitPlan(budgets, prefix=self._config.key_prefix, grace_s=self._config.lease_s)
        self._costs = costs
        self._store = store
        self._clock = clock
        default = self._config.default_reservation_usd
        self._default_reservation = 0 if default is None else to_nanos(default)
        self._unpriced_warned: set[tuple[str, str]] = set()
        self._applying: set[asyncio.Future[None]] = set()
        """Settles in flight, referenced so that a shielded one outlives its cancelled request."""

    @property
    def costs(self) -> CostCalculator:
        """The calculator settle prices usage with (the executor uses it for cache savings)."""
        return self._costs

    @property
    def store(self) -> LimitStore:
        """The counter store, to hand to the limiter built for the next configuration."""
        return self._store

    async def _count(self, planned: Sequence[PlannedWindow]) -> None:
        try:
            outcome = await self._store.hit(to_windows(planned, self._config.window_s))
        except StoreUnavailable:
            raise unavailable_refusal(self._config.probe_interval_s) from None
        if not outcome.admitted:
            raise rate_refusal(planned[outcome.refused].label, outcome.retry_after_s)

    async def admit_request(self, ctx: LimitContext) -> None:
        """Count the request against rate limits; raise LimitExceeded (with Retry-After) when over."""
        planned = self._plan.request_windows(ctx)
        if planned:
            await self._count(planned)

    def _amounts(self, planned: Sequence[PlannedHold], ctx: LimitContext) -> list[int]:
        max_out = ctx.max_tokens if ctx.max_tokens is not None else self._config.default_max_tokens
        estimate = self._costs.max_cost_nanos(
            ctx.provider_type, ctx.model, ctx.estimated_prompt_tokens, max_out
        )
        if estimate is not None:
            return [estimate] * len(planned)
        return [
            self._default_reservation if p.default_reservation is None else p.default_reservation
            for p in planned
        ]

    async def _hold(self, rid: str, planned: Sequence[PlannedHold], amounts: Sequence[int]) -> HoldOutcome:
        holds = [
            Hold(
                counter=p.counter,
                amount=a,
                limit=p.limit if p.hard else None,
                expire_at=self._plan.expire_at(p),
            )
            for p, a in zip(planned, amounts, strict=True)
        ]
        try:
            return await self._store.reserve(rid, holds, self._config.lease_s)
        except StoreUnavailable:
            raise unavailable_refusal(self._config.probe_interval_s) from None

    def _alerts(
        self, planned: Sequence[PlannedHold], amounts: Sequence[int], used: Sequence[int]
    ) -> tuple[str, ...]:
        alerts: list[str] = []
        for p, amount, before in zip(planned, amounts, used, strict=True):
            if not p.hard and before + amount > p.limit:
                alerts.append(p.label)
                _log.warning(
                    "budget alert: %s would reach %s of %s USD",
                    p.label,
                    format_usd(before + amount),
                    format_usd(p.limit),
                )
        return tuple(alerts)

    async def reserve(self, ctx: LimitContext) -> Reservation:
        """Reserve the estimated maximum cost; raise LimitExceeded (`budget_exceeded`) when over."""
        now = self._clock()
        planned = self._plan.holds(ctx, now)
        rid = uuid.uuid4().hex
        amounts = self._amounts(planned, ctx)
        outcome = await self._hold(rid, planned, amounts) if planned else HoldOutcome(admitted=True)
        if not outcome.admitted:
            refused = planned[outcome.refused]
            remaining = refused.limit - outcome.used[outcome.refused]
            needed = amounts[outcome.refused]
            raise budget_refusal(
                refused.label,
                limit=refused.limit,
                remaining=remaining,
                needed=needed,
                period_end=refused.period_end,
                now=now,
            )
        limits = tuple(p.limit if p.hard else None for p in planned)
        reservation = Reservation(
            id=rid,
            holds=tuple((p.counter, from_nanos(a)) for p, a in zip(planned, amounts, strict=True)),
            remaining_usd=_remaining(limits, [u + a for u, a in zip(outcome.used, amounts, strict=True)]),
            limits_usd=tuple(None if n is None else from_nanos(n) for n in limits),
            alerts=self._alerts(planned, amounts, outcome.used),
        )
        leaf = self._plan.leaf_windows(ctx)
        if leaf:
            try:
                await self._count(leaf)
            except LimitExceeded:
                await self.settle(reservation, ctx, None)
                raise
        return reservation

    def _charges(
        self, holds: Sequence[tuple[str, float]], usage: Usage | None, cost: int | None
    ) -> list[Charge]:
        def amount(held_usd: float) -> int:
            if usage is None:
                return 0
            return to_nanos(held_usd) if cost is None else cost

        return [Charge(counter=counter, amount=amount(held)) for counter, held in holds]

    def _warn_unpriced(self, ctx: LimitContext) -> None:
        marker = (ctx.provider_type, ctx.model)
        if marker not in self._unpriced_warned and len(self._unpriced_warned) < _WARNED_LIMIT:
            self._unpriced_warned.add(marker)
            _log.warning(
                "no price for model %r (provider type %r): cost unknown, budgets charged the hold",
                ctx.model,
                ctx.provider_type,
            )

    async def settle(self, reservation: Reservation, ctx: LimitContext, usage: Usage | None) -> float | None:
        """Replace the reservation with the actual cost (None usage releases it); return the cost.

        Returns None when there is no usage or the model has no price. Settling twice is a no-op;
        store failures are logged, never raised (the call already happened)."""
        cost = None if usage is None else self._costs.cost_nanos(ctx.provider_type, ctx.model, usage)
        if usage is not None and cost is None:
            self._warn_unpriced(ctx)
        holds, reservation.holds = reservation.holds, ()
        tokens = 0 if usage is None else usage.total_tokens
        if holds or tokens > 0:
            charges = self._charges(holds, usage, cost)
            self._record_spend(charges)
            # Shielded: a request cancelled now (client gone) must still release its hold and be charged.
            task = asyncio.ensure_future(self._apply(reservation, charges, ctx, tokens))
            self._applying.add(task)
            task.add_done_callback(self._applying.discard)
            await asyncio.shield(task)
        return None if cost is None else from_nanos(cost)

    async def _apply(
        self, reservation: Reservation, charges: Sequence[Charge], ctx: LimitContext, tokens: int
    ) -> None:
        if charges:
            try:
                used = await self._store.settle(reservation.id, charges)
            except StoreUnavailable as exc:
                _log.error("could not settle reservation %s: %s", reservation.id, exc)
            else:
                limits = tuple(None if usd is None else to_nanos(usd) for usd in reservation.limits_usd)
                reservation.remaining_usd = _remaining(limits, used)
        if tokens > 0:
            await self._record_tokens(ctx, tokens)

    def _record_spend(self, charges: Sequence[Charge]) -> None:
        if self._journal is None:
            return
        prefix = self._config.key_prefix
        for charge in charges:
            scope_key = charge.counter.removeprefix(prefix)
            period = period_of_scope(scope_key)
            if charge.amount and period is not None:
                self._journal.record(scope_key, period.start, charge.amount)

    async def restore(self, spends: Iterable[tuple[str, float]]) -> int:
        """Create missing counters of current periods from durable spend; return how many were created.

        `spends` are (scope key, spent USD) pairs as the journal wrote them, e.g. storage's
        `BudgetPeriodStore.list_period(start)` for each of `periods.current_starts(now)`. Counters that
        exist (Valkey survived) are left alone; rows of ended periods are skipped."""
        now = self._clock()
        created = 0
        for scope_key, spent_usd in spends:
            period = period_of_scope(scope_key)
            if period is None or (period.end is not None and period.end <= now):
                continue
            expire_at = None if period.end is None else period.end + self._config.lease_s
            counter = self._config.key_prefix + scope_key
            try:
                created += await self._store.seed(counter, to_nanos(spent_usd), expire_at)
            except StoreUnavailable as exc:
                _log.error("could not restore budget counter %s: %s", scope_key, exc)
        return created

    async def _record_tokens(self, ctx: LimitContext, tokens: int) -> None:
        planned = self._plan.token_windows(ctx)
        if not planned:
            return
        try:
            await self._store.hit(to_windows(planned, self._config.window_s, tokens=tokens))
        except StoreUnavailable as exc:
            _log.error("could not record %d tokens in rate windows: %s", tokens, exc)


def _remaining(limits: Sequence[int | None], used: Sequence[int]) -> float | None:
    """Smallest remaining amount among hard budgets, in USD (None when no hard budget applies)."""
    left = [limit - u for limit, u in zip(limits, used, strict=False) if limit is not None]
    return from_nanos(max(0, min(left))) if left else None
