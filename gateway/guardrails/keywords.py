"""Keyword and phrase lists: word-bounded, case- and diacritics-aware, one severity per list.

All lists compile once into one prefix-factored regex (a trie written as a regex, so a scan does not
retry every phrase at every position). Diacritics and case are handled in the pattern, not by
rewriting the text: each letter becomes the class of its variants (`e` → `[eèéẻẽẹêềếểễệEÈ…]`,
`d` → `[dđDĐ]`), so Vietnamese matches with or without tone marks, offsets are those of the original
text, and the scan starts from a character class that CPython's engine skips to in C. The matched
text, folded, says which list it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.guardrails.text import fold, fold_table

__all__ = ["SEVERITIES", "KeywordList", "KeywordMatcher", "load_list_file"]

SEVERITIES = ("low", "medium", "high", "critical")

_Trie = dict[str, "_Trie"]


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


class KeywordMatcher:
    """Finds phrases of several lists in one scan and says which list each match belongs to."""

    def __init__(
        self, lists: Sequence[KeywordList], *, case_sensitive: bool = False, match_diacritics: bool = False
    ) -> None:
        self._table = None if match_diacritics else fold_table()
        self._case_sensitive = case_sensitive
        self._variants: dict[str, set[str]] = {}
        if self._table is not None:
            for code, base in self._table.items():
                self._variants.setdefault(base, set()).add(chr(code))
        self._by_key: dict[str, KeywordList] = {}
        for kl in lists:
            for phrase in kl.phrases:
                key = self._key(phrase)
                known = self._by_key.get(key)
                if key and (
                    known is None or SEVERITIES.index(kl.severity) > SEVERITIES.index(known.severity)
                ):
                    self._by_key[key] = kl
        self._pattern = self._compile(sorted(self._by_key)) if self._by_key else None

    def _key(self, text: str) -> str:
        key = " ".join(text.split())
        if self._table is not None:
            key = fold(key, self._table)
        return key if self._case_sensitive else key.lower()

    def _chars(self, ch: str) -> str:
        if ch == " ":
            return r"\s+"
        found = {ch}
        if not self._case_sensitive:
            found |= {ch.upper(), ch.lower()}
        for c in list(found):
            found |= self._variants.get(c, set())
        found = {c for c in found if len(c) == 1}
        if not self._case_sensitive:
            found |= {u for c in found for u in (c.upper(), c.lower()) if len(u) == 1}
        body = "".join(re.escape(c) for c in sorted(found))
        return body if len(found) == 1 else f"[{body}]"

    def _node(self, node: _Trie) -> str:
        ends = "" in node
        branches = [self._chars(ch) + self._node(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    def _compile(self, keys: Iterable[str]) -> re.Pattern[str]:
        trie: _Trie = {}
        for key in keys:
            node = trie
            for ch in key:
                node = node.setdefault(ch, {})
            node[""] = {}
        firsts = [(self._chars(ch), child) for ch, child in sorted(trie.items())]
        union = "".join(cls[1:-1] if cls.startswith("[") else cls for cls, _ in firsts)
        branches = "|".join(f"(?<={cls}){self._node(child)}" for cls, child in firsts)
        # Start with a class (fast skip), then check the left word boundary behind the first char.
        return re.compile(rf"[{union}](?<!\w.)(?:{branches})(?!\w)")

    def finditer(self, text: str) -> Iterable[tuple[int, int, KeywordList]]:
        """Yield (start, end, list) for every match in `text` (offsets into `text`)."""
        if self._pattern is None:
            return
        for m in self._pattern.finditer(text):
            kl = self._by_key.get(self._key(m.group()))
            if kl is not None:
                yield m.start(), m.end(), kl
