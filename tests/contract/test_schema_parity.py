"""JSON Schemas and raw structs describe the same keys; Specs stay frozen and keyword-only."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest

from compiler import specs
from compiler.passes.kinds import RAW_TYPES
from compiler.raw import (
    RawBreaker,
    RawCache,
    RawCheck,
    RawCondition,
    RawEnv,
    RawHeaderNode,
    RawHook,
    RawHookCheck,
    RawNode,
    RawPrice,
    RawRetry,
    RawScope,
    RawStrategy,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
_HEADER_ONLY = {"api_key", "before_request_hooks", "after_request_hooks"}


def _load(name: str) -> Any:  # Any: a JSON Schema document
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))


def _fields(struct: type[msgspec.Struct]) -> set[str]:
    return {f.encode_name for f in msgspec.structs.fields(struct)}


def _props(schema: Any) -> set[str]:  # Any: JSON Schema
    return set(schema["properties"])


@pytest.mark.parametrize("kind", sorted(RAW_TYPES))
def test_manifest_schema_keys_match_raw_struct_fields(kind: str) -> None:
    assert _props(_load(kind)) == _fields(RAW_TYPES[kind])


@pytest.mark.parametrize("name", [*RAW_TYPES, "portkey-config"])
def test_schemas_are_valid_draft_2020_12_with_descriptions_and_closed_objects(name: str) -> None:
    schema = _load(name)
    jsonschema.Draft202012Validator.check_schema(schema)

    def walk(node: Any, where: str) -> None:  # Any: JSON Schema
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
                for key, sub in node["properties"].items():
                    assert "description" in sub, f"{where}/{key}"
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}")

    walk(schema, name)


def test_nested_route_schemas_match_raw_structs() -> None:
    route = _load("route")
    node = route["$defs"]["node"]["properties"]
    assert set(node) == _fields(RawNode)
    assert _props(node["retry"]) == _fields(RawRetry)
    assert _props(node["cache"]) == _fields(RawCache)
    assert _props(node["strategy"]) == _fields(RawStrategy)
    assert _props(node["strategy"]["properties"]["conditions"]["items"]) == _fields(RawCondition)
    assert _props(node["circuit_breaker"]) == _fields(RawBreaker)
    assert _props(node["strategy"]["properties"]["cb_config"]) == _fields(RawBreaker)
    assert _props(route) - {
        "kind",
        "id",
        "description",
        "deadline_ms",
        "buffer_stream",
        "header_selectable",
    } == set(node)


def test_header_schema_matches_header_structs() -> None:
    node = _load("portkey-config")["$defs"]["node"]["properties"]
    assert set(node) == _fields(RawHeaderNode)
    assert set(node) - _HEADER_ONLY == _fields(RawNode)
    hook = node["before_request_hooks"]["items"]
    assert _props(hook) == _fields(RawHook)
    assert _props(hook["properties"]["checks"]["items"]) == _fields(RawHookCheck)


def test_other_nested_schemas_match_raw_structs() -> None:
    assert _props(_load("provider")["properties"]["api_key"]) == _fields(RawEnv)
    assert _props(_load("guardrail")["properties"]["checks"]["items"]) == _fields(RawCheck)
    assert _props(_load("budget")["properties"]["scope"]) == _fields(RawScope)
    assert _props(_load("pricing")["properties"]["models"]["items"]) == _fields(RawPrice)


def test_provider_type_enum_matches_adapter_types() -> None:
    from typing import get_args

    assert _load("provider")["properties"]["type"]["enum"] == list(get_args(specs.AdapterType))


@pytest.mark.parametrize(
    "struct",
    [getattr(specs, name) for name in specs.__all__ if isinstance(getattr(specs, name), type)],
    ids=lambda s: s.__name__,
)
def test_every_spec_is_frozen_and_keyword_only(struct: type[msgspec.Struct]) -> None:
    config = struct.__struct_config__
    assert config.frozen and config.forbid_unknown_fields
    params = inspect.signature(struct).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)


@pytest.mark.parametrize("path", sorted((SCHEMAS / "checks").glob("*.schema.json")), ids=lambda p: p.name)
def test_check_schemas_the_compiler_loads_are_valid(path: Path) -> None:
    schema = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"
