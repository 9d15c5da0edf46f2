"""The guardrail engine: implements `gateway.ports.GuardrailRunner` over compiled GuardrailSpecs.

Built once per compiled gateway (regexes, keyword tries, JSON Schemas and list files are compiled or
read here, never per request) and swapped with it on reload. Guardrails run in the order the executor
names them; each returns a Portkey hook result. Verdict: `deny` when a failed guardrail has action
`deny`; `flag` when any other guardrail failed (the executor answers 246); `pass` otherwise.
A `redact` guardrail rewrites the body (a copy; the caller's dict is never mutated) and later
guardrails see the redacted text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from compiler.specs import CompiledGateway, GuardrailSpec
from gateway.guardrails.check import Finding, Phase, Subject
from gateway.guardrails.hooks import LinkedGuardrail, TimingSink
from gateway.guardrails.registry import Link, build_check
from gateway.guardrails.stream import WindowFilter
from gateway.guardrails.text import redact_text, text_slots
from gateway.ports import CheckContext, GuardrailOutcome

__all__ = ["GuardrailEngine", "apply_findings"]

_ENC = msgspec.json.Encoder()
_DEC = msgspec.json.Decoder()


def apply_findings(
    body: dict[str, Any], phase: Phase, findings: list[Finding]
) -> dict[str, Any]:  # Any: JSON
    """Return a copy of `body` with every finding replaced by its placeholder."""
    copy: dict[str, Any] = _DEC.decode(_ENC.encode(body))
    slots = text_slots(copy, phase)
    by_slot: dict[int, list[tuple[int, int, str]]] = {}
    for f in findings:
        by_slot.setdefault(f.slot, []).append((f.start, f.end, f.placeholder))
    for index, spans in by_slot.items():
        slot = slots[index]
        slot.container[slot.key] = redact_text(slot.text, spans)
    return copy


class GuardrailEngine:
    """Runs compiled guardrails by id on requests, responses and streams."""

    def __init__(
        self,
        guardrails: tuple[GuardrailSpec, ...],
        *,
        config_root: Path | None = None,
        session: aiohttp.ClientSession | None = None,
        on_timing: TimingSink | None = None,
        window_chars: int = 128,
    ) -> None:
        """Link every guardrail; raise ValueError (naming the manifest position) on a bad check."""
        self._session = session
        self._owns_session = session is None
        self.on_timing = on_timing
        self._window_chars = window_chars
        link = Link(config_root=config_root, session=self._get_session)
        self._guardrails = {
            g.id: LinkedGuardrail(g, [build_check(c, link) for c in g.checks]) for g in guardrails
        }

    @classmethod
    def from_compiled(
        cls, gateway: CompiledGateway, *, config_root: Path | None = None, on_timing: TimingSink | None = None
    ) -> GuardrailEngine:
        """Link every guardrail of a compiled gateway (`config_root` resolves keyword list files)."""
        return cls(gateway.guardrails, config_root=config_root, on_timing=on_timing)

    def extended(self, guardrails: tuple[GuardrailSpec, ...]) -> GuardrailEngine:
        """An engine that also runs `guardrails` (a header config's inline ones), sharing this one's
        linked guardrails, HTTP session and timing sink; raise ValueError on a bad check."""
        child = GuardrailEngine((), on_timing=self.on_timing, window_chars=self._window_chars)
        child._owns_session = False  # checks (old and new) use this engine's session; it closes it
        link = Link(config_root=None, session=self._get_session)
        child._guardrails = {
            **self._guardrails,
            **{g.id: LinkedGuardrail(g, [build_check(c, link) for c in g.checks]) for g in guardrails},
        }
        return child

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def aclose(self) -> None:
        """Close the HTTP session the engine opened for webhook and validUrls checks."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _select(self, ids: tuple[str, ...], phase: Phase) -> list[LinkedGuardrail]:
        unknown = [i for i in ids if i not in self._guardrails]
        if unknown:
            raise KeyError(f"unknown guardrail id(s): {', '.join(unknown)}")
        return [self._guardrails[i] for i in ids if phase in self._guardrails[i].spec.applies_to]

    async def _run(self, ids: tuple[str, ...], subject: Subject) -> GuardrailOutcome:
        outcome = GuardrailOutcome()
        redacted: set[str] = set()
        for g in self._select(ids, subject.phase):
            run = await g.run(subject, self.on_timing)
            outcome.hook_results.append(run.hook)
            if run.failed:
                outcome.verdict = "deny" if run.hook["deny"] or outcome.verdict == "deny" else "flag"
            if run.findings:
                body = apply_findings(subject.body, subject.phase, run.findings)
                redacted.update(f.kind for f in run.findings)
                request = body if subject.phase == "input" else subject.request
                subject = Subject(subject.phase, body, request, subject.ctx)
                outcome.body = body
        outcome.redacted = tuple(sorted(redacted))
        return outcome

    async def check_input(
        self, guardrail_ids: tuple[str, ...], body: dict[str, Any], ctx: CheckContext
    ) -> GuardrailOutcome:
        """Check (and maybe redact) a request body."""
        return await self._run(guardrail_ids, Subject("input", body, body, ctx))

    async def check_output(
        self,
        guardrail_ids: tuple[str, ...],
        response: dict[str, Any],
        request: dict[str, Any],
        ctx: CheckContext,
    ) -> GuardrailOutcome:
        """Check (and maybe redact) a complete response body."""
        return await self._run(guardrail_ids, Subject("output", response, request, ctx))

    def stream_filter(
        self, guardrail_ids: tuple[str, ...], request: dict[str, Any], ctx: CheckContext
    ) -> WindowFilter | None:
        """Return a filter for a streamed response, or None when no output guardrail applies."""
        selected = self._select(guardrail_ids, "output")
        if not selected:
            return None
        return WindowFilter(selected, request, ctx, self, window_chars=self._window_chars)
