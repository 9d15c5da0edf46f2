"""Pass-through components for the sandbox: the real guardrail engine and limiter, with every verdict kept.

The executor drives them through the same ports as in `gw serve`; these wrappers only remember what
happened, so `gw test` can assert on it and `gw explain --request` can print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from compiler.specs import GuardrailSpec
from gateway.errors import LimitExceeded
from gateway.ports import (
    CheckContext,
    GuardrailOutcome,
    GuardrailRunner,
    LimitContext,
    Limiter,
    Reservation,
    StreamFilter,
    StreamStep,
)
from gateway.usage import Usage

__all__ = ["GuardrailStep", "RecordingFilter", "RecordingGuardrails", "RecordingLimiter"]


@dataclass(frozen=True)
class GuardrailStep:
    """One guardrail run: phase, guardrail ids, verdict (`redact` when it changed the body)."""

    phase: str
    ids: tuple[str, ...]
    verdict: str
    redacted: tuple[str, ...] = ()


def _verdict(outcome: GuardrailOutcome) -> str:
    if outcome.verdict == "pass" and (outcome.redacted or outcome.body is not None):
        return "redact"
    return outcome.verdict


@dataclass
class RecordingFilter:
    """A stream filter that writes its final verdict into the step recorded when it was created."""

    inner: StreamFilter
    steps: list[GuardrailStep]
    index: int

    def _record(self, verdict: str) -> None:
        step = self.steps[self.index]
        self.steps[self.index] = GuardrailStep(step.phase, step.ids, verdict, step.redacted)

    def feed(self, chunk: dict[str, Any]) -> StreamStep:  # Any: OpenAI chunk JSON
        """Feed the real filter; a deny is recorded."""
        step = self.inner.feed(chunk)
        if step.deny is not None:
            self._record("deny")
        return step

    def finish(self) -> tuple[StreamStep, GuardrailOutcome]:
        """Finish the real filter and record its verdict."""
        step, outcome = self.inner.finish()
        self._record("deny" if step.deny is not None else _verdict(outcome))
        return step, outcome


@dataclass
class RecordingGuardrails:
    """Runs the real guardrail engine and records each verdict."""

    inner: GuardrailRunner
    steps: list[GuardrailStep] = field(default_factory=list)

    async def check_input(
        self, guardrail_ids: tuple[str, ...], body: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:  # Any: OpenAI request JSON
        """Check a request body and record the verdict."""
        outcome = await self.inner.check_input(guardrail_ids, body, ctx)
        self.steps.append(GuardrailStep("input", guardrail_ids, _verdict(outcome), outcome.redacted))
        return outcome

    async def check_output(
        self,
        guardrail_ids: tuple[str, ...],
        response: dict[str, Any],
        request: dict[str, Any],
        ctx: CheckContext,
    ) -> GuardrailOutcome:  # Any: OpenAI JSON
        """Check a response body and record the verdict."""
        outcome = await self.inner.check_output(guardrail_ids, response, request, ctx)
        self.steps.append(GuardrailStep("output", guardrail_ids, _verdict(outcome), outcome.redacted))
        return outcome

    def stream_filter(
        self, guardrail_ids: tuple[str, ...], request: dict[str, Any], ctx: CheckContext
    ) -> StreamFilter | None:  # Any: OpenAI request JSON
        """The engine's stream filter (stream verdicts are not recorded)."""
        inner = self.inner.stream_filter(guardrail_ids, request, ctx)
        if inner is None:
            return None
        self.steps.append(GuardrailStep("output-stream", guardrail_ids, "pass"))
        return RecordingFilter(inner, self.steps, len(self.steps) - 1)

    def extended(self, guardrails: tuple[GuardrailSpec, ...]) -> RecordingGuardrails:
        """The engine extended with a header config's guardrails, recording into the same steps."""
        return RecordingGuardrails(self.inner.extended(guardrails), self.steps)

    def overall(self) -> str:
        """The strongest verdict seen: deny > redact > flag > pass."""
        order = ("pass", "flag", "redact", "deny")
        return max((s.verdict for s in self.steps), key=order.index, default="pass")


@dataclass
class RecordingLimiter:
    """Runs the real budget limiter and records reservations and refusals."""

    inner: Limiter
    reservations: list[tuple[LimitContext, Reservation]] = field(default_factory=list)
    refusal: LimitExceeded | None = None

    async def admit_request(self, ctx: LimitContext) -> None:
        """Admit (rate limits) or record the refusal and raise it."""
        try:
            await self.inner.admit_request(ctx)
        except LimitExceeded as exc:
            self.refusal = exc
            raise

    async def reserve(self, ctx: LimitContext) -> Reservation:
        """Reserve the estimated maximum cost, recording it (or the refusal)."""
        try:
            reservation = await self.inner.reserve(ctx)
        except LimitExceeded as exc:
            self.refusal = exc
            raise
        # A copy: settle empties the holds of the reservation it is given.
        self.reservations.append((ctx, msgspec.structs.replace(reservation)))
        return reservation

    async def settle(self, reservation: Reservation, ctx: LimitContext, usage: Usage | None) -> float | None:
        """Settle through the real limiter."""
        return await self.inner.settle(reservation, ctx, usage)

    def decision(self) -> str:
        """`denied`, `alert`, `allowed` (a spend budget held money) or `none`."""
        if self.refusal is not None:
            return "denied"
        if any(r.alerts for _, r in self.reservations):
            return "alert"
        return "allowed" if any(r.holds for _, r in self.reservations) else "none"

    def clear(self) -> None:
        """Forget what was recorded (the counters stay)."""
        self.reservations.clear()
        self.refusal = None
