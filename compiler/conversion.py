"""Schema-valid data → raw structs, reporting values JSON Schema admits but a struct cannot hold.

JSON Schema's `integer` has no size limit and accepts `1e20` (a float with no fraction); the raw
structs hold 64-bit integers. Such a value is the user's mistake, so it is reported as an
out-of-range number at its own position, never as an internal error.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from compiler.diagnostics import Diagnostic
from compiler.document import Document

__all__ = ["convert_raw"]

_T = TypeVar("_T")
_PATH = re.compile(r"- at `\$((?:\.[^.\[`]+|\[\d+\])*)`$")
_PART = re.compile(r"\.([^.\[`]+)|\[(\d+)\]")


def _pointer(message: str) -> str | None:
    match = _PATH.search(message)
    if match is None:
        return None
    parts = [name if name else index for name, index in _PART.findall(match.group(1))]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _value_at(data: Any, pointer: str) -> Any:  # Any: walks decoded JSON/YAML data
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None
    return data


def convert_raw(
    doc: Document, data: Any, raw_type: type[_T]
) -> tuple[_T | None, list[Diagnostic]]:  # Any: data
    """Convert validated data to `raw_type`; a value the struct cannot hold becomes a diagnostic."""
    try:
        return msgspec.convert(data, raw_type, strict=False), []
    except msgspec.ValidationError as exc:
        pointer = _pointer(str(exc))
        value = _value_at(data, pointer) if pointer is not None else None
        if pointer is not None and isinstance(value, int | float) and not isinstance(value, bool):
            msg = f"number {value!r} is out of range: whole numbers must be below 2**63"
            return None, [doc.diag("GW-E0105", pointer, msg, hint="use a smaller value")]
        return None, [doc.diag("GW-E0901", pointer or "", f"schema and raw struct disagree: {exc}")]
