"""Bad input never crashes the compiler: random YAML, random manifests and random header JSON
all end in diagnostics (and `gw validate` exits 0 or 1, never 3)."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import CompiledGateway, compile_header_config, compile_sources
from compiler.diagnostics import CODES
from compiler.schema import KINDS
from gateway.cli.main import main
from tests.compiler.samples import PORTKEY_EXAMPLE, SCHEMAS, config_files

_EXAMPLES = int(os.environ.get("GW_FUZZ_EXAMPLES", "120"))
"""Raise for a longer fuzzing session, e.g. GW_FUZZ_EXAMPLES=2000."""
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_FILES = config_files()
_VOCAB = sorted(
    {
        "kind",
        "id",
        "provider",
        "targets",
        "strategy",
        "mode",
        "retry",
        "attempts",
        "cache",
        "weight",
        "checks",
    }
    | {"type", "parameters", "query", "then", "default", "conditions", "scope", "models", "api_key", "env"}
    | {"override_params", "input_guardrails", "output_guardrails", "on_status_codes", "$eq", "$or", "$regex"}
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from([*_VOCAB, *KINDS, "openai", "fallback", "conditional", "metadata.plan", "(", "[", "yes"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(_VOCAB), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=30,
)


def _gateway() -> CompiledGateway:
    gateway = compile_sources(_FILES, schemas=SCHEMAS).gateway
    assert gateway is not None
    return gateway


_BASE = _gateway()


def _assert_diagnostics_are_well_formed(diags: Any) -> None:  # Any: tuple of Diagnostics
    for diag in diags:
        assert diag.code in CODES
        assert diag.line >= 0 and diag.col >= 0


@_SETTINGS
@given(text=st.text(max_size=300))
def test_random_text_as_yaml_gives_diagnostics_not_exceptions(text: str) -> None:
    result = compile_sources({"random.yaml": text}, schemas=SCHEMAS)
    _assert_diagnostics_are_well_formed(result.diagnostics)


@_SETTINGS
@given(doc=_json, kind=st.sampled_from([*KINDS, "prompt", "nope"]))
def test_random_manifest_shaped_documents_give_diagnostics(doc: Any, kind: str) -> None:  # Any: JSON
    if isinstance(doc, dict):
        doc = {"kind": kind, "id": "fuzz", **doc}
    text = yaml.safe_dump(doc, allow_unicode=True)
    result = compile_sources({**_FILES, "fuzz.yaml": text}, schemas=SCHEMAS)
    _assert_diagnostics_are_well_formed(result.diagnostics)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:  # Any: JSON
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:  # Any: JSON
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for token in path[:-1]:
        node = node[token]
    node[path[-1]] = new
    return out


@_SETTINGS
@given(data=st.data())
def test_mutated_valid_manifests_give_diagnostics(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(_FILES)))
    docs = list(yaml.safe_load_all(_FILES[name]))
    index = data.draw(st.integers(min_value=0, max_value=len(docs) - 1))
    path = data.draw(st.sampled_from(_paths(docs[index])))
    docs[index] = _replace(docs[index], path, data.draw(_json))
    result = compile_sources({**_FILES, name: yaml.safe_dump_all(docs)}, schemas=SCHEMAS)
    _assert_diagnostics_are_well_formed(result.diagnostics)


@_SETTINGS
@given(value=_json)
def test_random_json_headers_give_diagnostics(value: Any) -> None:  # Any: JSON
    result = compile_header_config(json.dumps(value), _BASE, schemas=SCHEMAS)
    _assert_diagnostics_are_well_formed(result.diagnostics)
    assert result.ok or result.diagnostics


@_SETTINGS
@given(data=st.data())
def test_mutated_portkey_headers_give_diagnostics(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_paths(PORTKEY_EXAMPLE)))
    header = _replace(PORTKEY_EXAMPLE, path, data.draw(_json))
    result = compile_header_config(json.dumps(header), _BASE, schemas=SCHEMAS)
    _assert_diagnostics_are_well_formed(result.diagnostics)
    assert result.ok or result.diagnostics


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=200), _json.map(lambda v: yaml.safe_dump(v, allow_unicode=True))))
def test_gw_validate_exits_0_or_1_on_random_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.yaml"
        path.write_text(text, "utf-8")
        assert main(["validate", "--format", "json", str(path)]) in (0, 1)


def test_deeply_nested_input_is_reported_not_crashed() -> None:
    deep_yaml = "a: " + "[" * 5000 + "]" * 5000
    assert not compile_sources({"deep.yaml": deep_yaml}, schemas=SCHEMAS).ok
    deep_json = '{"targets": ' + "[" * 5000 + "]" * 5000 + "}"
    assert not compile_header_config(deep_json, _BASE, schemas=SCHEMAS).ok
