"""Portkey's default text checks: regexMatch, counts, contains, endsWith, case, containsCode, notNull.

Semantics follow Portkey's `plugins/default/*.ts` (verdict True means the check passed; `not` inverts
it) with one deliberate difference: `data` never echoes the checked text (Portkey adds a
`textExcerpt`), so a denied response cannot leak through its own hook_results.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import msgspec

from compiler.passes.guardrails import python_regex
from gateway.guardrails.check import CheckResult, Subject, SyncCheck

__all__ = [
    "AllLowercase",
    "AllUppercase",
    "CharacterCount",
    "Contains",
    "ContainsCode",
    "EndsWith",
    "NotNull",
    "RegexMatch",
    "SentenceCount",
    "WordCount",
    "js_regex",
]

Operator = Literal["any", "all", "none"]


def _flip(value: bool, negate: bool) -> bool:
    return not value if negate else value


def js_regex(rule: str) -> re.Pattern[str]:
    """Compile a JavaScript-style pattern (Portkey's dialect) the way the compiler validated it."""
    return re.compile(python_regex(rule))


class RegexMatchParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `regexMatch`."""

    rule: str
    not_: bool = msgspec.field(default=False, name="not")


class RegexMatch(SyncCheck):
    """Pass when the text matches `rule` (or, with `not`, when it does not)."""

    cost: ClassVar[int] = 20

    def __init__(self, p: RegexMatchParams) -> None:
        try:
            self.pattern = js_regex(p.rule)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        self.negate = p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Search the text once."""
        m = self.pattern.search(subject.text)
        verdict = _flip(m is not None, self.negate)
        return CheckResult(verdict, {"regexPattern": self.pattern.pattern, "matched": m is not None})


class _RangeCheck(SyncCheck):
    cost: ClassVar[int] = 5
    unit: ClassVar[str] = ""

    def __init__(self, low: int, high: int, negate: bool) -> None:
        self.low, self.high, self.negate = low, high, negate

    def count(self, text: str) -> int:
        raise NotImplementedError

    def run(self, subject: Subject) -> CheckResult:
        """Count and compare with the range."""
        n = self.count(subject.text)
        verdict = _flip(self.low <= n <= self.high, self.negate)
        bounds = self.unit.capitalize() + "s"
        data = {
            f"{self.unit}Count": n,
            f"min{bounds}": self.low,
            f"max{bounds}": self.high,
            "not": self.negate,
        }
        return CheckResult(verdict, data)


class SentenceCountParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `sentenceCount`."""

    minSentences: int = 0
    maxSentences: int = 99999
    not_: bool = msgspec.field(default=False, name="not")


class SentenceCount(_RangeCheck):
    """Pass when the number of sentence terminators (`.`, `!`, `?`) is within the range."""

    unit: ClassVar[str] = "sentence"
    _split = re.compile(r"[.!?]")

    def __init__(self, p: SentenceCountParams) -> None:
        super().__init__(p.minSentences, p.maxSentences, p.not_)

    def count(self, text: str) -> int:
        """Count terminators, as Portkey does (pieces after splitting, minus one)."""
        return len(self._split.findall(text))


class WordCountParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `wordCount`."""

    minWords: int = 0
    maxWords: int = 99999
    not_: bool = msgspec.field(default=False, name="not")


class WordCount(_RangeCheck):
    """Pass when the number of whitespace-separated words is within the range."""

    unit: ClassVar[str] = "word"

    def __init__(self, p: WordCountParams) -> None:
        super().__init__(p.minWords, p.maxWords, p.not_)

    def count(self, text: str) -> int:
        """Count whitespace-separated words."""
        return len(text.split())


class CharacterCountParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `characterCount`."""

    minCharacters: int = 0
    maxCharacters: int = 9999999
    not_: bool = msgspec.field(default=False, name="not")


class CharacterCount(_RangeCheck):
    """Pass when the number of characters is within the range."""

    unit: ClassVar[str] = "character"
    cost: ClassVar[int] = 1

    def __init__(self, p: CharacterCountParams) -> None:
        super().__init__(p.minCharacters, p.maxCharacters, p.not_)

    def count(self, text: str) -> int:
        """Count code points."""
        return len(text)


class ContainsParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `contains`."""

    words: tuple[str, ...]
    operator: Operator = "any"


class Contains(SyncCheck):
    """Pass when the text contains any, all or none of the words (plain substring, case-sensitive)."""

    cost: ClassVar[int] = 3

    def __init__(self, p: ContainsParams) -> None:
        self.words, self.operator = p.words, p.operator

    def run(self, subject: Subject) -> CheckResult:
        """Test each word as a substring."""
        text = subject.text
        found = [w for w in self.words if w in text]
        if self.operator == "any":
            verdict = bool(found)
        elif self.operator == "all":
            verdict = len(found) == len(self.words)
        else:
            verdict = not found
        return CheckResult(verdict, {"operator": self.operator, "foundWords": found})


class EndsWithParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `endsWith`."""

    suffix: str
    not_: bool = msgspec.field(default=False, name="not")


class EndsWith(SyncCheck):
    """Pass when the text ends with `suffix` (a trailing period is allowed, as in Portkey)."""

    cost: ClassVar[int] = 1

    def __init__(self, p: EndsWithParams) -> None:
        self.suffix, self.negate = p.suffix, p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Compare the end of the text."""
        text = subject.text
        ends = text.endswith(self.suffix) or text.endswith(self.suffix + ".")
        return CheckResult(_flip(ends, self.negate), {"suffix": self.suffix, "not": self.negate})


class CaseParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `alluppercase` and `alllowercase`."""

    not_: bool = msgspec.field(default=False, name="not")


class AllUppercase(SyncCheck):
    """Pass when the text has no lowercase letter."""

    cost: ClassVar[int] = 2
    upper: ClassVar[bool] = True
    """Which case the text must already be in."""

    def __init__(self, p: CaseParams) -> None:
        self.negate = p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Compare the text with its form in the required case."""
        text = subject.text
        folded = text.upper() if self.upper else text.lower()
        return CheckResult(_flip(text == folded, self.negate), {"not": self.negate})


class AllLowercase(AllUppercase):
    """Pass when the text has no uppercase letter."""

    upper: ClassVar[bool] = False


_LANGUAGES = {
    "sql": "SQL", "py": "Python", "python": "Python", "ts": "TypeScript", "typescript": "TypeScript",
    "js": "JavaScript", "javascript": "JavaScript", "java": "Java", "cs": "C#", "csharp": "C#",
    "cpp": "C++", "c++": "C++", "c": "C", "rb": "Ruby", "ruby": "Ruby", "php": "PHP", "swift": "Swift",
    "kt": "Kotlin", "kotlin": "Kotlin", "go": "Go", "golang": "Go", "rs": "Rust", "rust": "Rust",
    "scala": "Scala", "r": "R", "pl": "Perl", "perl": "Perl", "sh": "Shell", "bash": "Shell",
    "shell": "Shell", "html": "HTML", "css": "CSS", "xml": "XML", "json": "JSON", "yml": "YAML",
    "yaml": "YAML", "md": "Markdown", "markdown": "Markdown", "dockerfile": "Dockerfile",
}  # fmt: skip


class ContainsCodeParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Parameters of `containsCode`."""

    format: str
    not_: bool = msgspec.field(default=False, name="not")


class ContainsCode(SyncCheck):
    """Pass when a fenced code block is labelled with `format` (e.g. ```python → Python)."""

    cost: ClassVar[int] = 10
    _fence = re.compile(r"```([\w#+-]+)[ \t]*\n[\s\S]*?\n[ \t]*```")

    def __init__(self, p: ContainsCodeParams) -> None:
        self.format, self.negate = p.format, p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Read the language label of each fenced block."""
        found = [_LANGUAGES.get(m.group(1).lower(), m.group(1)) for m in self._fence.finditer(subject.text)]
        verdict = _flip(self.format in found, self.negate)
        return CheckResult(verdict, {"searchedFormat": self.format, "foundFormats": found})


class NotNull(SyncCheck):
    """Pass when there is text at all (a response with null or empty content fails)."""

    cost: ClassVar[int] = 1

    def __init__(self, p: CaseParams) -> None:
        self.negate = p.not_

    def run(self, subject: Subject) -> CheckResult:
        """Test for non-blank text."""
        data: dict[str, Any] = {"not": self.negate}
        return CheckResult(_flip(bool(subject.text.strip()), self.negate), data)
