"""Estimate a request's prompt tokens from its body, before any tokenizer has seen it.

Four characters per token is the usual rule of thumb for English text with BPE tokenizers; it
over-counts code-free prose slightly and under-counts some scripts (CJK). The estimate only sizes a
budget reservation, which settle replaces with the provider's own count, so an error here moves money
between "reserved" and "spent" for the length of one call and never into the record.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHARS_PER_TOKEN", "NON_TEXT_PART_TOKENS", "estimate_prompt_tokens"]

CHARS_PER_TOKEN = 4
NON_TEXT_PART_TOKENS = 1_000
"""Flat charge for an image or audio part: its base64 length says nothing about its token count."""
_PER_MESSAGE_TOKENS = 4
"""Role and separator tokens that chat formats add around every message."""


def _chars(value: Any) -> tuple[int, int]:  # Any: walks OpenAI request JSON
    """Return (characters of text, number of non-text parts) inside a content value."""
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, list):
        chars = parts = 0
        for item in value:
            c, p = _chars(item)
            chars, parts = chars + c, parts + p
        return chars, parts
    if isinstance(value, dict):
        kind = value.get("type")
        if kind in ("image_url", "input_image", "image", "input_audio", "audio", "file"):
            return 0, 1
        chars = parts = 0
        for key, item in value.items():
            if key != "type":
                c, p = _chars(item)
                chars, parts = chars + c, parts + p
        return chars, parts
    return 0, 0


def estimate_prompt_tokens(body: dict[str, Any]) -> int:  # Any: OpenAI request JSON
    """Estimate prompt tokens of a chat, completion or embedding body: characters / 4, rounded up."""
    messages = body.get("messages")
    overhead = _PER_MESSAGE_TOKENS * len(messages) if isinstance(messages, list) else 0
    chars, parts = 0, 0
    for field in ("messages", "input", "prompt", "tools", "functions", "system"):
        if field in body:
            c, p = _chars(body[field])
            chars, parts = chars + c, parts + p
    return -(-chars // CHARS_PER_TOKEN) + parts * NON_TEXT_PART_TOKENS + overhead
