"""docs/config.md documents every schema key and every diagnostic code, so they cannot drift."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler import CODES

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "config.md").read_text("utf-8")


def _paths(props: dict[str, Any], prefix: str = "") -> Iterator[str]:  # Any: JSON Schema
    for key, sub in props.items():
        path = prefix + key
        yield path
        if "properties" in sub:
            yield from _paths(sub["properties"], path + ".")
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from _paths(items["properties"], path + "[].")


def _schema_paths() -> list[str]:
    found: list[str] = []
    for kind in ("provider", "route", "guardrail", "budget", "policy", "pricing", "prompt"):
        schema = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
        found += _paths(schema["properties"])
    route = json.loads((REPO / "schemas" / "route.schema.json").read_text("utf-8"))
    found += _paths(route["$defs"]["node"]["properties"], "targets[].")
    header = json.loads((REPO / "schemas" / "portkey-config.schema.json").read_text("utf-8"))
    found += _paths(header["$defs"]["node"]["properties"])
    return sorted(set(found))


@pytest.mark.parametrize("path", _schema_paths())
def test_every_schema_key_is_documented(path: str) -> None:
    assert f"| `{path}` |" in DOC


def test_every_diagnostic_code_is_documented() -> None:
    for code in CODES:
        assert f"| `{code}` |" in DOC
