"""Keyword and phrase lists: word-bounded, case- and diacritics-aware, one severity per list.

Every list is folded (`Giết`→`Giet`) and compiled once into a prefix-factored regex (a trie written as
a regex, so a scan does not retry every phrase at every position); all lists share one pattern and the
matching list is read from the named group. Text is folded the same way before matching, which keeps
offsets, so Vietnamese matches with or without tone marks and redaction lands on the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.guardrails.text import fold, fold_table

__all__ = ["SEVERITIES", "KeywordList", "KeywordMatcher", "load_list_file"]

_Trie = dict[str, "_Trie"]

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(slots=True, frozen=True)
class KeywordList:
    """A named list of phrases with its severity."""

    name: str
    severity: str
    phrases: tuple[str, ...]


def load_list_file(path: Path) -> tuple[str, ...]:
    """Read one phrase per line; blank lines and lines starting with `#` are ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


def _trie_regex(phrases: Iterable[str]) -> str:
    trie: _Trie = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: _Trie) -> str:
    ends = "" in node
    branches = []
    for ch in sorted(k for k in node if k):
        child = node[ch]
        atom = r"\s+" if ch == " " else re.escape(ch)
        branches.append(atom + _node_regex(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


class KeywordMatcher:
    """Finds phrases of several lists in one scan and says which list each match belongs to."""

    def __init__(
        self, lists: Sequence[KeywordList], *, case_sensitive: bool = False, match_diacritics: bool = False
    ) -> None:
        self._table = None if match_diacritics else fold_table()
        self._lists = {f"l{i}": kl for i, kl in enumerate(lists)}
        groups = []
        for group, kl in self._lists.items():
            phrases = {self._fold(" ".join(p.split())) for p in kl.phrases if p.strip()}
            if phrases:
                groups.append(f"(?P<{group}>{_trie_regex(sorted(phrases))})")
        flags = 0 if case_sensitive else re.IGNORECASE
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)", flags) if groups else None

    def _fold(self, text: str) -> str:
        return text if self._table is None else fold(text, self._table)

    def finditer(self, text: str) -> Iterable[tuple[int, int, KeywordList]]:
        """Yield (start, end, list) for every match in `text` (offsets into `text`)."""
        if self._pattern is None:
            return
        for m in self._pattern.finditer(self._fold(text)):
            assert m.lastgroup is not None
            yield m.start(), m.end(), self._lists[m.lastgroup]
