"""Where the text of an OpenAI body lives, how to fold it for matching, and how to write it back.

`text_slots` lists every text field a check may read or redact (message contents and text parts,
`prompt`, embeddings `input`; choices on output), NFC-normalised so that one code point is one
matching position. `fold` maps each character to its base letter (`ế`→`e`, `đ`→`d`) without changing
the length, so a match in folded text is a match at the same offsets of the original.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Slot", "fold", "fold_table", "portkey_text", "redact_text", "text_slots"]


@dataclass(slots=True)
class Slot:
    """One text field: `container[key]` holds `text` (NFC-normalised)."""

    container: Any  # Any: a dict or list inside OpenAI JSON
    key: Any  # Any: str for dicts, int for lists
    text: str


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _content_slots(holder: dict[str, Any], key: str, out: list[Slot]) -> None:
    content = holder.get(key)
    if isinstance(content, str):
        out.append(Slot(holder, key, _nfc(content)))
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(Slot(part, "text", _nfc(part["text"])))


def _string_or_list(holder: dict[str, Any], key: str, out: list[Slot]) -> None:
    value = holder.get(key)
    if isinstance(value, str):
        out.append(Slot(holder, key, _nfc(value)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(Slot(value, i, _nfc(item)))


def text_slots(body: dict[str, Any], phase: str) -> list[Slot]:  # Any: OpenAI JSON
    """List the text fields of a request (phase `input`) or a response (phase `output`)."""
    out: list[Slot] = []
    if phase == "input":
        for message in body.get("messages") or ():
            if isinstance(message, dict):
                _content_slots(message, "content", out)
        _string_or_list(body, "prompt", out)
        _string_or_list(body, "input", out)
        return out
    for choice in body.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        if isinstance(message, dict):
            _content_slots(message, "content", out)
        if isinstance(choice.get("text"), str):
            out.append(Slot(choice, "text", _nfc(choice["text"])))
    return out


def _joined(content: Any) -> str:  # Any: a message content (string or parts)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def portkey_text(body: dict[str, Any], phase: str) -> str:  # Any: OpenAI JSON
    """Return the text Portkey's default checks read: the last message, or the first choice."""
    if phase == "input":
        if isinstance(body.get("prompt"), str):
            return _nfc(body["prompt"])
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            return _nfc(_joined(messages[-1].get("content")))
        return _nfc(body["input"]) if isinstance(body.get("input"), str) else ""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    first = choices[0]
    if isinstance(first.get("text"), str):
        return _nfc(first["text"])
    message = first.get("message")
    return _nfc(_joined(message.get("content"))) if isinstance(message, dict) else ""


def fold_table() -> dict[int, str]:
    """Build the translation table from accented Latin letters (and đ) to their base letter."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for block in (range(0x00C0, 0x0250), range(0x1E00, 0x1F00)):
        for code in block:
            decomposed = unicodedata.normalize("NFD", chr(code))
            base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
            if len(base) == 1 and base != chr(code):
                table[code] = base
    return table


def fold(text: str, table: dict[int, str]) -> str:
    """Strip diacritics letter by letter; the result has the same length as `text` (NFC input)."""
    return text.translate(table)


def redact_text(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """Replace each (start, end, placeholder) span; overlapping spans merge into the first one."""
    out: list[str] = []
    pos = 0
    for start, end, placeholder in sorted(spans):
        if start < pos:
            if end > pos:
                pos = end
            continue
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)
