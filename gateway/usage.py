"""Token usage normalised across providers: the one struct cost tracking, budgets and the ledger read."""

from __future__ import annotations

from typing import Any

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

    def openai_json(self) -> dict[str, Any]:  # Any: OpenAI `usage` JSON
        """Return OpenAI's `usage` object, with cached and reasoning token details."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_read_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }
