"""jsonSchema and jsonKeys: JSON found in fenced blocks or bare objects inside the text."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.specs import CheckSpec
from gateway.guardrails import GuardrailEngine
from gateway.guardrails.checks_json import json_candidates
from tests.gateway.guardrails.build import SOURCE, check_one, guardrail

PERSON = {"type": "object", "required": ["name", "age"], "properties": {"age": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("params", "text", "passes"),
    [
        ({"schema": PERSON}, 'Here:\n```json\n{"name": "An", "age": 30}\n```', True),
        ({"schema": PERSON}, 'inline {"name": "An", "age": 30} works too', True),
        ({"schema": PERSON}, '{"name": "An", "age": "thirty"}', False),
        ({"schema": PERSON}, "no json at all", False),
        ({"schema": PERSON}, '{"broken": ', False),
        ({"schema": PERSON, "not": True}, '{"name": "An"}', True),
    ],
)
async def test_json_schema(params: dict[str, Any], text: str, passes: bool) -> None:
    assert await check_one("jsonSchema", params, text) is passes


@pytest.mark.parametrize(
    ("params", "text", "passes"),
    [
        ({"keys": ["a", "b"], "operator": "all"}, '{"a": 1, "b": {"c": 2}}', True),
        ({"keys": ["a", "b"], "operator": "all"}, '{"a": 1}', False),
        ({"keys": ["a", "z"], "operator": "any"}, 'x {"z": 1} y', True),
        ({"keys": ["c"], "operator": "any"}, '{"a": {"c": 1}}', False),  # nested keys do not count
        ({"keys": ["password"], "operator": "none"}, '{"user": "u"}', True),
        ({"keys": ["password"], "operator": "none"}, '{"password": "p"}', False),
    ],
)
async def test_json_keys(params: dict[str, Any], text: str, passes: bool) -> None:
    assert await check_one("jsonKeys", params, text) is passes


def test_candidates_prefer_fenced_blocks() -> None:
    text = 'ignore {"a": 1}\n```json\n{"b": 2}\n```'
    assert json_candidates(text) == [{"b": 2}]


def test_invalid_inner_schema_is_refused_at_link_time() -> None:
    bad = CheckSpec(type="jsonSchema", params='{"schema":{"type":"nope"}}', source=SOURCE)
    spec = guardrail("g").__class__(id="g", checks=(bad,), source=SOURCE)
    with pytest.raises(ValueError, match="invalid JSON Schema"):
        GuardrailEngine((spec,))


async def test_validation_errors_name_the_rule_not_the_value() -> None:
    from gateway.ports import CheckContext
    from tests.gateway.guardrails.build import chat, completion

    engine = GuardrailEngine((guardrail("g", ("jsonSchema", {"schema": PERSON}), action="flag"),))
    text = '{"name": "An", "age": "secret-value"}'
    outcome = await engine.check_output(("g",), completion(text), chat("q"), CheckContext())
    errors = outcome.hook_results[0]["checks"][0]["data"]["validationErrors"]
    assert errors == [{"path": "/age", "message": "fails `type`"}]
    assert "secret-value" not in repr(outcome.hook_results)
