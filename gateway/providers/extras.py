"""Anthropic-only fields in an OpenAI-shaped request, for targets other than Anthropic.

The `/v1/messages` front door keeps what an Anthropic client sent that OpenAI's format has no place
for: `thinking` (top level), `thinking_blocks` (assistant messages, signed) and `cache_control`
(content parts and tools). OpenAI refuses unknown fields with a 400, so on a strict route (the default)
an OpenAI-family adapter removes them and names them in `x-gw-dropped-params`, the parameter rule of
`gateway.providers.compliance`. A lenient route forwards them: some OpenAI-compatible servers accept
`cache_control` on content parts. Translating adapters (Gemini, Ollama) have nowhere to put the nested
ones, so they name them as dropped whatever the route (`nested_anthropic_extras`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["nested_anthropic_extras", "strip_anthropic_extras"]

Json = dict[str, Any]  # Any: OpenAI request JSON


def strip_anthropic_extras(body: Json) -> tuple[Json, tuple[str, ...]]:
    """`body` without the Anthropic-only fields (the same object when it has none), and the names
    removed, sorted. The input is never modified."""
    dropped: set[str] = set()
    out = body
    if "thinking" in body:
        out = {k: v for k, v in body.items() if k != "thinking"}
        dropped.add("thinking")
    for key, clean in (("messages", _message), ("tools", _without_hint)):
        items = body.get(key)
        if isinstance(items, list):
            cleaned = _each(items, clean, dropped)
            if cleaned is not items:
                out = dict(out) if out is body else out
                out[key] = cleaned
    return out, tuple(sorted(dropped))


def nested_anthropic_extras(body: Mapping[str, Any]) -> tuple[str, ...]:  # Any: OpenAI request JSON
    """Names of the Anthropic-only fields nested in messages and tools (`cache_control`,
    `thinking_blocks`), sorted; the top-level `thinking` is a parameter like any other."""
    nested: Json = {key: body[key] for key in ("messages", "tools") if key in body}
    return strip_anthropic_extras(nested)[1]


def _each(items: list[Any], clean: Any, dropped: set[str]) -> list[Any]:  # Any: JSON items
    """`items` with `clean` applied to each; the same list when nothing changed."""
    out: list[Any] | None = None  # Any: JSON items
    for i, item in enumerate(items):
        cleaned = clean(item, dropped)
        if cleaned is not item:
            out = list(items) if out is None else out
            out[i] = cleaned
    return items if out is None else out


def _without_hint(item: Any, dropped: set[str]) -> Any:  # Any: a JSON value
    if isinstance(item, dict) and "cache_control" in item:
        dropped.add("cache_control")
        return {k: v for k, v in item.items() if k != "cache_control"}
    return item


def _message(message: Any, dropped: set[str]) -> Any:  # Any: a JSON message
    if not isinstance(message, dict):
        return message
    out = message
    if "thinking_blocks" in message:
        out = {k: v for k, v in message.items() if k != "thinking_blocks"}
        dropped.add("thinking_blocks")
    content = message.get("content")
    if isinstance(content, list):
        cleaned = _each(content, _without_hint, dropped)
        if cleaned is not content:
            out = dict(out) if out is message else out
            out["content"] = cleaned
    return out
