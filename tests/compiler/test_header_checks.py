"""Header-sourced checks: nested quantifiers are found, ordinary patterns pass."""

from __future__ import annotations

import pytest

from compiler.header_checks import nested_quantifier


@pytest.mark.parametrize("pattern", ["(a+)+", r"(\w*)*", "(x+y?){2,}", "((a+))*", "(?<n>a+)+", "(a|aa+)*"])
def test_repeated_group_with_an_unbounded_quantifier_is_found(pattern: str) -> None:
    assert nested_quantifier(pattern)


@pytest.mark.parametrize(
    "pattern", ["^[a-z]+$", "(ab)+", "(a|b)*c", r"\d{3}-\d{4}", "(a+){1}", r"^\S+@\S+$", "(unclosed"]
)
def test_ordinary_patterns_are_not_flagged(pattern: str) -> None:
    assert not nested_quantifier(pattern)
