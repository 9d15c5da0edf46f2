"""Variable checks: the plain-Python fast path agrees with jsonschema on the schemas it accepts."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from gateway.runtime.prompt_variables import _fast, _validator

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "string", "enum": ["free", "pro"]},
    {"type": "string", "minLength": 2, "maxLength": 4},
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": "object", "description": "anything"},
    {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    {"type": "array", "items": {"type": "integer", "enum": [1, 2]}, "minItems": 1},
]
VALUES: list[Any] = [None, True, False, 0, 1, 2, 1.5, "", "a", "free", "abcde", [], [1], ["a", "b"]]
VALUES += [["a"] * 3, {}, [True], 2.0]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: str(sorted(s.items())))
def test_fast_checks_agree_with_jsonschema(schema: dict[str, Any]) -> None:
    fast = _fast(schema)
    assert fast is not None
    reference = jsonschema.Draft202012Validator(schema)
    for value in VALUES:
        assert (fast(value) is None) == reference.is_valid(value), value


def test_other_keywords_fall_back_to_jsonschema() -> None:
    assert _fast({"type": "integer", "minimum": 3}) is None
    assert _fast({"anyOf": [{"type": "string"}]}) is None
    check = _validator({"type": "integer", "minimum": 3})
    assert (check(3), check(2)) == (None, "minimum")
