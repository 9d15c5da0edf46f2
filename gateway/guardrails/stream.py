"""Output guardrails on a stream of OpenAI `chat.completion.chunk` dicts.

Window mode: each choice's text is held back in a pending buffer; on every chunk the window-capable
checks of `deny` and `redact` guardrails scan the pending text, a finding is redacted (or the stream
denied) before any of it is emitted, and only text more than `window_chars` behind the newest
character, cut at whitespace, is released (in steps of a quarter window, so a scan covers several
tokens). A pattern split across chunks (a card number in two
deltas) is therefore whole in the buffer before any part of it leaves. End mode, and every check
that needs the whole text, runs in `finish()`, whose outcome rides on the final event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.guardrails.check import Subject
from gateway.guardrails.text import redact_text
from gateway.ports import CheckContext, GuardrailOutcome, StreamStep

if TYPE_CHECKING:
    from gateway.guardrails.engine import GuardrailEngine
    from gateway.guardrails.hooks import LinkedGuardrail

__all__ = ["WindowFilter"]


def _complete_prefix(text: str, hold: int) -> int:
    """End of the text up to its last whitespace (all of it when one token outgrows the window)."""
    end = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t")) + 1
    return len(text) if end == 0 and len(text) > 4 * hold else end


class _Choice:
    __slots__ = ("emitted", "finish_reason", "pending")

    def __init__(self) -> None:
        self.pending = ""
        self.emitted: list[str] = []
        self.finish_reason: str | None = None


class WindowFilter:
    """Implements `gateway.ports.StreamFilter` for one streamed response."""

    def __init__(
        self,
        guardrails: list[LinkedGuardrail],
        request: dict[str, Any],  # Any: OpenAI request JSON
        ctx: CheckContext,
        engine: GuardrailEngine,
        *,
        window_chars: int = 128,
    ) -> None:
        self._all = guardrails
        self._live = [
            g
            for g in guardrails
            if g.spec.stream_mode == "window" and g.spec.action in ("deny", "redact") and g.window_checks
        ]
        self._request, self._ctx, self._engine = request, ctx, engine
        self._hold = window_chars
        self._step = max(window_chars // 4, 1)
        self._choices: dict[int, _Choice] = {}
        self._template: dict[str, Any] = {}  # Any: chunk JSON
        self._redacted: dict[str, dict[str, int]] = {}
        self._denied = False

    # ------------------------------------------------------------------ scanning

    def _scan(self, text: str) -> tuple[str, GuardrailOutcome | None]:
        """Redact `text` with the live guardrails, or return a deny outcome."""
        for g in self._live:
            body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
            subject = Subject("output", body, self._request, self._ctx)
            if all(c.run(subject).verdict for c in g.window_checks):
                continue  # the common case: nothing found, no hook result to build
            run = g.run_window(subject, self._engine.on_timing)
            if run.hook["deny"]:
                return text, GuardrailOutcome(verdict="deny", hook_results=[run.hook])
            if run.findings:
                counts = self._redacted.setdefault(g.spec.id, {})
                for f in run.findings:
                    counts[f.kind] = counts.get(f.kind, 0) + 1
                text = redact_text(text, [(f.start, f.end, f.placeholder) for f in run.findings])
        return text, None

    def _cut(self, text: str) -> int:
        """Where held text may be released: `hold` chars back from the end, moved back to whitespace."""
        limit = len(text) - self._hold
        if limit <= 0:
            return 0
        for i in range(limit, max(limit - self._hold, 0), -1):
            if text[i - 1].isspace():
                return i
        return limit

    def _release(self, choice: _Choice, flush: bool) -> tuple[str, GuardrailOutcome | None]:
        if not self._live:
            out, choice.pending = choice.pending, ""
            choice.emitted.append(out)
            return out, None
        pending = choice.pending
        if not flush and len(pending) < self._hold + self._step:
            return "", None  # scan and release in steps, not on every token
        # Judge only complete words: "bom" at the very end may yet become "bomb".
        end = len(pending) if flush else _complete_prefix(pending, self._hold)
        head, denied = self._scan(pending[:end])
        if denied is not None:
            return "", denied
        text = head + pending[end:]
        cut = len(text) if flush else min(self._cut(text), len(head))
        out, choice.pending = text[:cut], text[cut:]
        choice.emitted.append(out)
        return out, None

    # ------------------------------------------------------------------ protocol

    def feed(self, chunk: dict[str, Any]) -> StreamStep:  # Any: OpenAI chunk JSON
        """Accept one upstream chunk; emit what is safe, or deny before emitting offending text."""
        if self._denied:
            return StreamStep()
        self._template = {k: chunk[k] for k in ("id", "object", "created", "model") if k in chunk}
        choices_out = []
        for raw in chunk.get("choices") or ():
            index = raw.get("index", 0)
            state = self._choices.setdefault(index, _Choice())
            delta = dict(raw.get("delta") or {})
            content = delta.pop("content", None)
            if isinstance(content, str):
                state.pending += content
            state.finish_reason = raw.get("finish_reason") or state.finish_reason
            out, denied = self._release(state, flush=raw.get("finish_reason") is not None)
            if denied is not None:
                self._denied = True
                return StreamStep(deny=denied)
            if out or delta or raw.get("finish_reason") is not None or content is None:
                new = dict(raw)
                new["delta"] = {**delta, "content": out} if (out or isinstance(content, str)) else delta
                choices_out.append(new)
        if not choices_out and chunk.get("choices"):
            return StreamStep()
        return StreamStep(emit=[{**chunk, "choices": choices_out}])

    def finish(self) -> tuple[StreamStep, GuardrailOutcome]:
        """Flush held text, then judge the whole streamed text with every output guardrail."""
        if self._denied:
            return StreamStep(), GuardrailOutcome(verdict="deny")
        step = StreamStep()
        tail = []
        for index, state in sorted(self._choices.items()):
            if not state.pending:
                continue
            out, denied = self._release(state, flush=True)
            if denied is not None:
                self._denied = True
                return StreamStep(deny=denied), denied
            tail.append({"index": index, "delta": {"content": out}, "finish_reason": None})
        if tail:
            step.emit.append({**self._template, "object": "chat.completion.chunk", "choices": tail})
        return step, self._final_outcome()

    def _final_outcome(self) -> GuardrailOutcome:
        body = {
            **{k: v for k, v in self._template.items() if k != "object"},
            "object": "chat.completion",
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": "".join(s.emitted)},
                    "finish_reason": s.finish_reason,
                }
                for i, s in sorted(self._choices.items())
            ],
        }
        outcome = GuardrailOutcome()
        subject = Subject("output", body, self._request, self._ctx)
        for g in self._all:
            run = g.run_stream_end(subject, self._engine.on_timing)
            if g.spec.id in self._redacted:
                run.hook.update(transformed=True, redacted=dict(sorted(self._redacted[g.spec.id].items())))
            outcome.hook_results.append(run.hook)
            if run.failed:
                outcome.verdict = "deny" if run.hook["deny"] or outcome.verdict == "deny" else "flag"
        outcome.redacted = tuple(sorted({k for counts in self._redacted.values() for k in counts}))
        return outcome
