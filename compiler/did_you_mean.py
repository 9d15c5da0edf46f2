"""Suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "suggest"]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to `word`, or None when nothing is close."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower().replace("-", "_"): c for c in pool}
        found = [lowered[k] for k in difflib.get_close_matches(word.lower().replace("-", "_"), lowered, 1)]
    return found[0] if found else None


def suggest(word: str, candidates: Iterable[str], what: str, *, limit: int = 8) -> str | None:
    """Build a hint: `did you mean X?` and/or the list of defined names."""
    pool = sorted(set(candidates))
    best = closest(word, pool)
    listed = ", ".join(f"`{c}`" for c in pool[:limit]) + (", …" if len(pool) > limit else "")
    if best is not None:
        return f"did you mean `{best}`? {what}: {listed}"
    if pool:
        return f"{what}: {listed}"
    return None
