"""Parse an `x-portkey-config` header into a Document with snake_case keys and positions.

Portkey accepts camelCase and snake_case; keys are renamed here, while diagnostics keep pointing at
the key as the client wrote it. Opaque values (request parameters, queries, check parameters,
shorthand guardrails) keep their keys.
"""

from __future__ import annotations

import json
import re
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.pointer import join
from compiler.yaml_source import MAX_DEPTH, parse_yaml

__all__ = ["HEADER_FILE", "parse_header"]

HEADER_FILE = "<x-portkey-config>"
_OPAQUE = frozenset(
    {
        "override_params",
        "query",
        "parameters",
        "on_fail",
        "on_success",
        "input_guardrails",
        "output_guardrails",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower() if any(c.isupper() for c in key) else key


class _Renamer:
    """Rename keys, mapping each new pointer to the original one."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.display: dict[str, str] = {}
        self.diags: list[Diagnostic] = []

    def walk(self, value: Any, new: str, old: str, depth: int) -> Any:  # Any: JSON value
        self.display[new] = old
        if depth > MAX_DEPTH:
            self.diags.append(self.doc.diag("GW-E0001", old, f"nesting deeper than {MAX_DEPTH} levels"))
            return None
        if isinstance(value, list):
            return [self.walk(v, join(new, i), join(old, i), depth + 1) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        written: dict[str, str] = {}
        for key, item in value.items():
            name = _snake(key)
            if name in out:
                msg = f"`{key}` and `{written[name]}` name the same key"
                self.diags.append(self.doc.diag("GW-E0002", join(old, key), msg, key=True))
                continue
            written[name] = key
            if name in _OPAQUE:
                out[name] = item
                self._map_opaque(item, join(new, name), join(old, key))
            else:
                out[name] = self.walk(item, join(new, name), join(old, key), depth + 1)
        return out

    def _map_opaque(self, value: Any, new: str, old: str) -> None:  # Any: JSON value
        self.display[new] = old
        if isinstance(value, dict):
            for key, item in value.items():
                self._map_opaque(item, join(new, key), join(old, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._map_opaque(item, join(new, i), join(old, i))


def _positions(text: str) -> tuple[Document, list[Diagnostic]]:
    """Locate nodes with the YAML parser (JSON is nearly YAML); only its duplicate-key errors count."""
    docs, diags = parse_yaml(HEADER_FILE, text)
    if len(docs) != 1:
        return Document(file=HEADER_FILE, data=None), []
    return docs[0], [d for d in diags if d.code == "GW-E0002"]


def parse_header(text: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse header JSON; positions come from a YAML parse of the same text when it agrees."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line, col = (exc.lineno, exc.colno) if isinstance(exc, json.JSONDecodeError) else (1, 1)
        reason = exc.msg.lower() if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
        diag = Diagnostic(
            code="GW-E0001",
            severity="error",
            message=f"invalid json: {reason}",
            file=HEADER_FILE,
            line=line,
            col=col,
            pointer="",
        )
        return None, [diag]
    located, duplicates = _positions(text)
    original = Document(file=HEADER_FILE, data=data, values=located.values, keys=located.keys)
    if not isinstance(data, dict):
        msg = "expected a json object (or a route id)"
        return None, [original.diag("GW-E0606", "", msg), *duplicates]
    renamer = _Renamer(original)
    renamed = renamer.walk(data, "", "", 0)
    values = {new: original.values[old] for new, old in renamer.display.items() if old in original.values}
    keys = {new: original.keys[old] for new, old in renamer.display.items() if old in original.keys}
    doc = Document(file=HEADER_FILE, data=renamed, values=values, keys=keys, display=renamer.display)
    return doc, duplicates + renamer.diags
