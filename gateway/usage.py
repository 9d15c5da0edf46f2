"""Token usage normalised across providers: the one struct cost tracking, budgets and the ledger read."""

from __future__ import annotations

import msgspec

__all__ = ["Usage"]


class Usage(msgspec.Struct, kw_only=True):
    """Token counts normalised across providers; cost tracking reads only this."""

    prompt_tokens: int = 0
    """All input tokens, including cached-read and cache-write ones."""
    completion_tokens: int = 0
    """All output tokens, including reasoning ones."""
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.prompt_tokens + self.completion_tokens
