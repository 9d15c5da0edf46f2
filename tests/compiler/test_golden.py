"""Golden diagnostics: each case under cases/ is compiled and its text output compared verbatim.

Every case changes one thing in an otherwise valid config; the expected text pins code, position,
pointer, message and hint. Regenerate after an intended change with `GW_UPDATE_GOLDEN=1` and review
the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from compiler import CODES
from tests.compiler.golden import CASES, render_case

_CASES = sorted(p for p in CASES.iterdir() if p.is_dir())
_EXEMPT = {
    "GW-E0006": "unreadable files: tests/compiler/test_loader.py",
    "GW-E0901": "internal errors have no input that triggers them",
    "GW-W0906": "needs --check-env: tests/gateway/cli/test_validate.py",
}


@pytest.mark.parametrize("case", _CASES, ids=lambda p: p.name)
def test_golden_case_output_matches(case: Path) -> None:
    expected = case / "expected.txt"
    actual = render_case(case)
    if os.environ.get("GW_UPDATE_GOLDEN"):
        expected.write_text(actual, "utf-8")
    assert actual == expected.read_text("utf-8")


@pytest.mark.parametrize("case", _CASES, ids=lambda p: p.name)
def test_golden_case_reports_the_code_in_its_name(case: Path) -> None:
    text = (case / "expected.txt").read_text("utf-8")
    for code in re.findall(r"(?:^|_)([ew]\d{4})(?=_)", case.name):
        assert f"[GW-{code.upper()}]" in text


def test_every_published_code_has_a_golden_case() -> None:
    seen: set[str] = set()
    for case in _CASES:
        seen |= set(re.findall(r"\[(GW-[EW]\d{4})\]", (case / "expected.txt").read_text("utf-8")))
    assert sorted(set(CODES) - set(_EXEMPT) - seen) == []
    assert len(_CASES) >= 30


def test_every_golden_line_has_a_position_and_pointer() -> None:
    for case in _CASES:
        lines = (case / "expected.txt").read_text("utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.search(r": (error|warning)\[GW-", line):
                assert re.match(r"^\S+:\d+:\d+: ", line), (case.name, line)
                follow = lines[i + 1] if i + 1 < len(lines) else ""
                assert follow.startswith("  at /") or follow.startswith("  at ") or "pointer" not in line
