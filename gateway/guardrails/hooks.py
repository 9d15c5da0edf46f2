"""One guardrail, linked: its checks cheapest first, and how a run becomes Portkey's hook result.

A hook result has Portkey's shape (`src/middlewares/hooks/index.ts`): `{id, type, verdict, deny,
async, checks: [{id, verdict, data, error, execution_time, created_at}], feedback, execution_time,
created_at}`; gw adds `transformed` and, on checks that redacted, `redacted` (kinds and counts).
A check that errored does not fail its guardrail (Portkey's rule); checks that fail closed say so by
failing without an error. `execution_time` is in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from compiler.specs import GuardrailSpec
from gateway.guardrails.check import AsyncCheck, Check, CheckResult, Finding, Phase, Subject, SyncCheck

__all__ = ["CheckTiming", "GuardrailRun", "LinkedGuardrail", "TimingSink"]


@dataclass(slots=True, frozen=True)
class CheckTiming:
    """One check's latency, for metrics (never any text)."""

    guardrail_id: str
    check_id: str
    phase: Phase
    seconds: float
    verdict: bool
    errored: bool


TimingSink = Callable[[CheckTiming], None]


@dataclass(slots=True)
class GuardrailRun:
    """What one guardrail concluded about one body."""

    hook: dict[str, Any]  # Any: Portkey's hook result JSON
    failed: bool
    findings: list[Finding]


@dataclass(slots=True)
class _Run:
    subject: Subject
    on_timing: TimingSink | None
    transform: bool
    created: str = ""
    started: float = 0.0
    entries: list[dict[str, Any]] = field(default_factory=list)  # Any: check result JSON
    findings: list[Finding] = field(default_factory=list)

    def failed(self) -> bool:
        return any(not (e["verdict"] or e["error"]) for e in self.entries)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # as JS toISOString


async def _timed(check: AsyncCheck, subject: Subject) -> tuple[CheckResult, float]:
    t0 = time.perf_counter()
    r = await check.arun(subject)
    return r, time.perf_counter() - t0


class LinkedGuardrail:
    """A GuardrailSpec with live checks: in-process ones by cost, then the I/O ones."""

    def __init__(self, spec: GuardrailSpec, checks: list[Check]) -> None:
        self.spec = spec
        ranked = sorted(checks, key=lambda c: c.cost)
        self.sync_checks = tuple(c for c in ranked if isinstance(c, SyncCheck))
        self.async_checks = tuple(c for c in ranked if isinstance(c, AsyncCheck))
        self.window_checks = tuple(c for c in self.sync_checks if c.window)

    def _record(self, run: _Run, check: Check, r: CheckResult, seconds: float) -> None:
        entry: dict[str, Any] = {  # Any: JSON
            "id": check.id,
            "verdict": r.verdict,
            "data": r.data,
            "error": None if r.error is None else {"name": "CheckError", "message": r.error},
            "execution_time": round(seconds * 1000, 3),
            "created_at": _now(),
        }
        if run.transform and self.spec.action == "redact" and check.can_redact and r.findings:
            counts: dict[str, int] = {}
            for f in r.findings:
                counts[f.kind] = counts.get(f.kind, 0) + 1
            run.findings.extend(r.findings)
            entry.update(verdict=True, transformed=True, redacted=dict(sorted(counts.items())))
        run.entries.append(entry)
        if run.on_timing is not None:
            timing = CheckTiming(
                self.spec.id, check.id, run.subject.phase, seconds, entry["verdict"], bool(r.error)
            )
            run.on_timing(timing)

    def _start(self, subject: Subject, on_timing: TimingSink | None, transform: bool) -> _Run:
        return _Run(subject, on_timing, transform, _now(), time.perf_counter())

    def _run_sync(self, run: _Run, checks: tuple[SyncCheck, ...]) -> None:
        for check in checks:
            t0 = time.perf_counter()
            r = check.run(run.subject)
            self._record(run, check, r, time.perf_counter() - t0)

    def _finish(self, run: _Run) -> GuardrailRun:
        failed = run.failed()
        hook = {
            "id": self.spec.id,
            "type": "guardrail",
            "verdict": not failed,
            "deny": failed and self.spec.action == "deny",
            "async": False,
            "checks": run.entries,
            "feedback": None,
            "transformed": bool(run.findings),
            "execution_time": round((time.perf_counter() - run.started) * 1000, 3),
            "created_at": run.created,
        }
        return GuardrailRun(hook, failed, run.findings)

    async def run(self, subject: Subject, on_timing: TimingSink | None) -> GuardrailRun:
        """Run every check (I/O checks are skipped once a deny guardrail has already failed)."""
        run = self._start(subject, on_timing, transform=True)
        self._run_sync(run, self.sync_checks)
        if self.async_checks and not (self.spec.action == "deny" and run.failed()):
            results = await asyncio.gather(*(_timed(c, subject) for c in self.async_checks))
            for check, (r, seconds) in zip(self.async_checks, results, strict=True):
                self._record(run, check, r, seconds)
        return self._finish(run)

    def run_window(self, subject: Subject, on_timing: TimingSink | None) -> GuardrailRun:
        """Run only the window-capable checks on a stretch of streamed text (may redact)."""
        run = self._start(subject, on_timing, transform=True)
        self._run_sync(run, self.window_checks)
        return self._finish(run)

    def run_stream_end(self, subject: Subject, on_timing: TimingSink | None) -> GuardrailRun:
        """Run the in-process checks on the whole streamed text; text already sent cannot be redacted.

        I/O checks cannot run inside the synchronous stream filter: they are reported as errored
        (routes that need them on streams set `buffer_stream`, and the executor checks the buffer).
        """
        run = self._start(subject, on_timing, transform=False)
        self._run_sync(run, self.sync_checks)
        for check in self.async_checks:
            skipped = "not run on a streamed response; set buffer_stream on the route to run it"
            self._record(run, check, CheckResult(False, None, error=skipped), 0.0)
        return self._finish(run)
