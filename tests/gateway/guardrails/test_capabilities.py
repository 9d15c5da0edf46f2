"""The window rule the compiler relies on, and that it stays free of third-party imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gateway.guardrails import supports_window


@pytest.mark.parametrize(
    ("check", "params", "window"),
    [
        ("pii", {}, True),
        ("keywords", {"lists": []}, True),
        ("default.contains", {"words": ["x"], "operator": "none"}, True),
        ("contains", {"words": ["x"], "operator": "any"}, False),
        ("contains", {"words": ["x"]}, False),
        ("regexMatch", {"rule": "x", "not": True}, True),
        ("regexMatch", {"rule": "x"}, False),
        ("wordCount", {}, False),
        ("jsonSchema", {"schema": {}}, False),
        ("webhook", {"webhookURL": "http://h"}, False),
    ],
)
def test_which_checks_run_on_a_window(check: str, params: dict[str, object], window: bool) -> None:
    assert supports_window(check, params) is window


def test_capabilities_module_imports_only_the_standard_library() -> None:
    import gateway.guardrails.capabilities as module

    tree = ast.parse(Path(module.__file__ or "").read_text("utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {name.split(".")[0] for name in imported} <= {"__future__", "collections"}
