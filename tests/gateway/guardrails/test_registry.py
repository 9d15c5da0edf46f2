"""Check ids, parameter structs and schemas/checks/*.schema.json agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest

from gateway.guardrails import CHECK_IDS, PARAMS, check_result_id

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "checks"


def schema(check: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{check}.schema.json").read_text("utf-8"))
    return loaded


def test_every_check_has_a_schema_and_a_parameter_struct() -> None:
    on_disk = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert on_disk == sorted(CHECK_IDS) == sorted(PARAMS)


@pytest.mark.parametrize("check", CHECK_IDS)
def test_schema_is_valid_2020_12_and_closed(check: str) -> None:
    doc = schema(check)
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["additionalProperties"] is False


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


@pytest.mark.parametrize("check", CHECK_IDS)
def test_every_property_is_described_and_every_object_closed(check: str) -> None:
    for obj in _objects(schema(check)):
        assert obj.get("additionalProperties") is False
        for name, prop in obj["properties"].items():
            assert prop.get("description"), f"{check}: property `{name}` has no description"


@pytest.mark.parametrize("check", CHECK_IDS)
def test_schema_properties_match_the_parameter_struct(check: str) -> None:
    doc = schema(check)
    fields = msgspec.structs.fields(PARAMS[check])
    assert sorted(doc["properties"]) == sorted(f.encode_name for f in fields)
    required = {f.encode_name for f in fields if f.required}
    assert required <= set(doc.get("required", []))


@pytest.mark.parametrize("check", CHECK_IDS)
def test_schema_defaults_decode_into_the_struct(check: str) -> None:
    doc = schema(check)
    defaults = {k: v["default"] for k, v in doc["properties"].items() if "default" in v}
    decoded = msgspec.convert(defaults, type=PARAMS[check], strict=False) if not doc.get("required") else None
    if decoded is not None:
        for key, value in defaults.items():
            field = next(f for f in msgspec.structs.fields(PARAMS[check]) if f.encode_name == key)
            assert getattr(decoded, field.name) == (tuple(value) if isinstance(value, list) else value)


def test_typo_in_parameters_is_refused() -> None:
    validator = jsonschema.Draft202012Validator(schema("wordCount"))
    assert list(validator.iter_errors({"minWord": 1}))
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"minWord": 1}, type=PARAMS["wordCount"])


def test_result_ids_use_portkeys_namespace_for_portkeys_checks() -> None:
    assert check_result_id("default.regexMatch") == "default.regexMatch"
    assert check_result_id("regexMatch") == "default.regexMatch"
    assert check_result_id("pii") == "pii"
