"""Config test cases (`kind: test`): the raw manifest and its compiled, immutable form.

Test cases never reach the serving gateway: they are not part of `CompiledGateway` (nor of its
content hash). `gw test` compiles them with `compiler.suite.compile_suite` and runs them against the
compiled gateway with simulated upstreams.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from compiler.specs import Source

__all__ = ["CaseExpect", "OutcomeSpec", "RawExpect", "RawOutcome", "RawTest", "TestCaseSpec"]

Verdict = Literal["pass", "flag", "redact", "deny"]
BudgetDecision = Literal["none", "allowed", "alert", "denied"]


class _Outcome(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The fields of one simulated upstream answer, the same as written and compiled."""

    status: int = 200
    latency_ms: int = 0
    """Simulated, never slept: above the attempt's timeout the attempt fails with 408."""
    content: str | None = None
    """Completion text of a success (default: `simulated reply from <provider>`)."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    retry_after_ms: int | None = None


class _Expect(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The expectations of a case, the same as written and compiled; None means not checked."""

    status: int | None = None
    target: str | None = None
    provider: str | None = None
    tried: tuple[str, ...] | None = None
    retries: int | None = None
    guardrails: Verdict | None = None
    cache: str | None = None
    budget: BudgetDecision | None = None
    error_code: str | None = None


class RawOutcome(_Outcome, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One simulated upstream answer as written (a bare status is converted by the pass)."""


class RawExpect(_Expect, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`expect:` as written."""


class RawTest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `test` manifest."""

    kind: Literal["test"]
    id: str
    description: str = ""
    route: str
    endpoint: Literal["chat", "completions", "embeddings"] = "chat"
    request: dict[str, Any] | None = None  # Any: an OpenAI request body
    metadata: dict[str, str] = {}
    headers: dict[str, str] = {}
    upstreams: dict[str, Any] = {}  # Any: int | outcome mapping | list of them (schema-checked)
    repeat: int = 1
    seed: int = 0
    expect: RawExpect


class OutcomeSpec(_Outcome, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One simulated upstream answer."""


class CaseExpect(_Expect, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Expectations on the last request of a case; None means not checked."""


class TestCaseSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A compiled test case: request, simulated outcomes keyed by target path, expectations."""

    __test__ = False  # not a pytest class, whatever its name

    id: str
    route: str
    description: str = ""
    endpoint: Literal["chat", "completions", "embeddings"] = "chat"
    body: str = "{}"
    """The request body as canonical JSON."""
    metadata: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    upstreams: tuple[tuple[str, tuple[OutcomeSpec, ...]], ...] = ()
    """Target path or provider id → outcomes in order (the last repeats); names resolved to paths."""
    repeat: int = 1
    seed: int = 0
    expect: CaseExpect
    source: Source
