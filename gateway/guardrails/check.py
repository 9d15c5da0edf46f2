"""What a compiled check is: the subject it reads, the result it returns, the findings it may redact.

A check is built once from a `CheckSpec` (patterns compiled, lists loaded) and then run many times.
Most checks are plain functions of the text (`SyncCheck`); the few that call out over the network
(`webhook`, `validUrls`) are `AsyncCheck`s, which the engine awaits after the cheap ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from gateway.guardrails.text import Slot, portkey_text, text_slots
from gateway.ports import CheckContext

__all__ = [
    "AsyncCheck",
    "Check",
    "CheckResult",
    "Finding",
    "Phase",
    "Subject",
    "SyncCheck",
]

Phase = Literal["input", "output"]


@dataclass(slots=True)
class Subject:
    """The body under check (request on input, response on output) with its request and context."""

    phase: Phase
    body: dict[str, Any]  # Any: OpenAI JSON
    request: dict[str, Any]  # Any: OpenAI JSON (the same object as body on input)
    ctx: CheckContext
    _slots: list[Slot] | None = None
    _text: str | None = None

    @property
    def slots(self) -> list[Slot]:
        """Every text field of the body, in document order (what gw's own checks scan and redact)."""
        if self._slots is None:
            self._slots = text_slots(self.body, self.phase)
        return self._slots

    @property
    def text(self) -> str:
        """Portkey's text: the last message on input, the first choice on output."""
        if self._text is None:
            self._text = portkey_text(self.body, self.phase)
        return self._text


@dataclass(slots=True, frozen=True)
class Finding:
    """A span of one slot that a redacting check wants replaced (positions, never the data)."""

    slot: int
    start: int
    end: int
    kind: str
    placeholder: str


@dataclass(slots=True)
class CheckResult:
    """One check's verdict (True means the check passed), Portkey's `data`, and any redactable findings."""

    verdict: bool
    data: dict[str, Any] | None = None  # Any: Portkey's free-form check data
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)


class SyncCheck:
    """A check computed in-process from the subject; `cost` orders checks cheapest first."""

    id: str = ""
    window: bool = False
    """Whether this check, with its parameters, can judge a stream window by window."""
    cost: ClassVar[int] = 10
    can_redact: ClassVar[bool] = False

    def run(self, subject: Subject) -> CheckResult:
        """Evaluate the subject."""
        raise NotImplementedError


class AsyncCheck:
    """A check that waits on I/O (HTTP, DNS); always run after every in-process check."""

    id: str = ""
    window: bool = False
    cost: ClassVar[int] = 1000
    can_redact: ClassVar[bool] = False

    async def arun(self, subject: Subject) -> CheckResult:
        """Evaluate the subject."""
        raise NotImplementedError


Check = SyncCheck | AsyncCheck
