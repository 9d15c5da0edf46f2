"""gw's own content checks: `pii` (personal data and secrets) and `keywords` (phrase lists).

Both scan every text field of the body (not only the last message, as Portkey's checks do), report
what kinds they found and how often, never the matched text, and return findings a `redact`
guardrail replaces with `[KIND_REDACTED]` placeholders.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import msgspec

from gateway.guardrails.check import CheckResult, Finding, Subject, SyncCheck
from gateway.guardrails.keywords import SEVERITIES, KeywordList, KeywordMatcher, load_list_file
from gateway.guardrails.pii import PII_KINDS, PLACEHOLDERS, build_detectors, find_pii

__all__ = ["KeywordListParams", "Keywords", "KeywordsParams", "Pii", "PiiParams"]

PiiKind = Literal[
    "api_key", "credit_card", "iban", "email", "vn_cccd", "phone", "vn_cmnd", "ipv4", "ipv6", "secret"
]  # fmt: skip
Severity = Literal["low", "medium", "high", "critical"]


class PiiParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `pii`."""

    kinds: tuple[PiiKind, ...] = PII_KINDS  # type: ignore[assignment]
    entropy_threshold: float = 4.3


class Pii(SyncCheck):
    """Fail when any of `kinds` appears in any text field; findings carry the placeholder per kind."""

    cost: ClassVar[int] = 50
    can_redact: ClassVar[bool] = True

    def __init__(self, p: PiiParams) -> None:
        self.detectors = build_detectors(p.kinds, p.entropy_threshold)

    def run(self, subject: Subject) -> CheckResult:
        """Scan each slot."""
        findings: list[Finding] = []
        counts: dict[str, int] = {}
        for i, slot in enumerate(subject.slots):
            for m in find_pii(slot.text, self.detectors):
                findings.append(Finding(i, m.start, m.end, m.kind, PLACEHOLDERS[m.kind]))
                counts[m.kind] = counts.get(m.kind, 0) + 1
        data = {"detected": dict(sorted(counts.items()))}
        return CheckResult(not findings, data, findings=findings)


class KeywordListParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One list of `keywords`: inline `words`, a `file` beside the manifest, or both."""

    name: str
    severity: Severity = "medium"
    words: tuple[str, ...] = ()
    file: str | None = None


class KeywordsParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `keywords`."""

    lists: tuple[KeywordListParams, ...]
    case_sensitive: bool = False
    match_diacritics: bool = False
    min_severity: Severity = "low"


class Keywords(SyncCheck):
    """Fail when a phrase of a list at or above `min_severity` appears as whole words."""

    cost: ClassVar[int] = 40
    can_redact: ClassVar[bool] = True
    placeholder: ClassVar[str] = "[KEYWORD_REDACTED]"

    def __init__(self, p: KeywordsParams, list_dir: Path | None, root: Path | None) -> None:
        lists = []
        for lp in p.lists:
            phrases = lp.words
            if lp.file is not None:
                if list_dir is None or root is None:
                    raise ValueError(f"keyword list `{lp.name}` names a file but no config root is known")
                path = (list_dir / lp.file).resolve()
                if not path.is_relative_to(root.resolve()):
                    raise ValueError(f"keyword list `{lp.name}`: `file` must stay inside the config root")
                phrases = phrases + load_list_file(path)
            lists.append(KeywordList(lp.name, lp.severity, phrases))
        self.threshold = SEVERITIES.index(p.min_severity)
        self.matcher = KeywordMatcher(
            lists, case_sensitive=p.case_sensitive, match_diacritics=p.match_diacritics
        )

    def run(self, subject: Subject) -> CheckResult:
        """Scan each slot; matches below the threshold are counted but do not fail."""
        findings: list[Finding] = []
        counts: dict[tuple[str, str], int] = {}
        for i, slot in enumerate(subject.slots):
            for start, end, kl in self.matcher.finditer(slot.text):
                counts[kl.name, kl.severity] = counts.get((kl.name, kl.severity), 0) + 1
                if SEVERITIES.index(kl.severity) >= self.threshold:
                    findings.append(Finding(i, start, end, "keyword", self.placeholder))
        matches = [{"list": n, "severity": s, "count": c} for (n, s), c in sorted(counts.items())]
        return CheckResult(not findings, {"matches": matches}, findings=findings)
