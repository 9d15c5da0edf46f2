"""Cache keys: the normalised request, hashed, with the partition and provider folded in.

Normalisation keeps every field that can change the output (a deny-list, so an unknown new
sampling parameter separates entries instead of sharing them) and drops transport and bookkeeping
fields (`stream`, `user`, `metadata`, …). Text-only content part lists become plain strings, so the
two spellings of the same message share an entry. Keys are canonical JSON (sorted keys) hashed
with BLAKE2b.

The semantic cache splits a request in two: the *probe text* (the last user message, embedded and
compared by similarity) and the *context* (everything else: model, system prompt, earlier turns,
tools, parameters, partition, provider) which must match exactly and is stored as a hash column.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

__all__ = [
    "KEY_VERSION",
    "SemanticProbe",
    "exact_key",
    "normalise_body",
    "semantic_probe",
]

KEY_VERSION = "v1"
"""Bumped whenever normalisation changes, so old entries are never misread."""

_IGNORED_FIELDS = frozenset(
    {
        "stream",
        "stream_options",
        "user",
        "metadata",
        "store",
        "prompt_cache_key",
        "safety_identifier",
    }
)
"""Request fields that never change what the model answers."""

_MAX_SEMANTIC_MESSAGES = 4
_MAX_SEMANTIC_CHARS = 32_000
"""About 8k tokens at ~4 characters per token."""

_ENCODER = msgspec.json.Encoder(order="sorted")


class SemanticProbe(msgspec.Struct, frozen=True, kw_only=True):
    """What the semantic cache compares: `text` by similarity, `context` exactly."""

    text: str
    context: str
    """Hex digest of everything except the probe text."""


def _flatten_content(content: Any) -> Any:  # Any: OpenAI message content (str | parts | None)
    """Turn a list of text-only parts into one string; leave anything else untouched."""
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(p["text"] for p in content)
    return content


def normalise_body(body: dict[str, Any]) -> dict[str, Any]:  # Any: OpenAI request JSON
    """Return the output-relevant part of a request body in a canonical shape."""
    out = {k: v for k, v in body.items() if k not in _IGNORED_FIELDS and v is not None}
    messages = out.get("messages")
    if isinstance(messages, list):
        out["messages"] = [
            {**m, "content": _flatten_content(m.get("content"))} if isinstance(m, dict) else m
            for m in messages
        ]
    return out


def _digest(payload: object) -> str:
    return hashlib.blake2b(_ENCODER.encode(payload), digest_size=20).hexdigest()


def exact_key(body: dict[str, Any], partition: str, provider_id: str) -> str:  # Any: OpenAI JSON
    """Return the exact-match key of a request in a partition, for one provider."""
    return f"{KEY_VERSION}:{_digest([partition, provider_id, normalise_body(body)])}"


def _has_tool_traffic(messages: list[Any]) -> bool:  # Any: OpenAI messages
    for m in messages:
        if not isinstance(m, dict):
            return True
        if m.get("role") in ("tool", "function") or m.get("tool_calls") or m.get("function_call"):
            return True
    return False


def semantic_probe(
    body: dict[str, Any], partition: str, provider_id: str
) -> SemanticProbe | None:  # Any: OpenAI request JSON
    """Split an eligible request into probe text and exact context; None when not eligible.

    Eligible: a chat request of at most four messages, under ~8k tokens, without tool calls or
    tool results, whose last message is a user message of plain text.
    """
    norm = normalise_body(body)
    messages = norm.get("messages")
    if not isinstance(messages, list) or not 0 < len(messages) <= _MAX_SEMANTIC_MESSAGES:
        return None
    if _has_tool_traffic(messages):
        return None
    last = messages[-1]
    text = last.get("content")
    if last.get("role") != "user" or not isinstance(text, str) or not text.strip():
        return None
    size = sum(len(m["content"]) if isinstance(m.get("content"), str) else 0 for m in messages)
    if size > _MAX_SEMANTIC_CHARS or any(not isinstance(m.get("content"), str | None) for m in messages):
        return None
    rest = {**norm, "messages": [*messages[:-1], {k: v for k, v in last.items() if k != "content"}]}
    return SemanticProbe(text=text.strip(), context=_digest(["semantic", partition, provider_id, rest]))
