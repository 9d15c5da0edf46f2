"""Secrets never appear in diagnostics or compiled artifacts, wherever they were written."""

from __future__ import annotations

import json

import msgspec
import pytest

from compiler import compile_header_config, compile_sources, format_diagnostics
from tests.compiler.samples import SCHEMAS, config_files

SECRET = "sk-proj-Zq8XwV3rT6yU1iO0pA9sD2fG"
_BASE = compile_sources(config_files(), schemas=SCHEMAS).gateway

MANIFESTS = [
    f"kind: provider\nid: p\ntype: openai\napi_key: {SECRET}\n",
    f"kind: provider\nid: p\ntype: openai\napi_key: {{env: {SECRET}}}\n",
    f"kind: provider\nid: p\ntype: openai\napi_key: {{env: K}}\n"
    f"headers: {{Authorization: Bearer {SECRET}}}\n",
    f"kind: provider\nid: p\ntype: openai\napi_key: {{env: K}}\nheaders: {{x-api-key: {SECRET}}}\n",
]
HEADERS = [
    {"provider": "openai", "api_key": SECRET, "retyr": {"attempts": 1}},
    {"provider": SECRET},
    {"provider": "opnai", "api_key": SECRET},
    {
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": SECRET}, {"provider": "x"}],
    },
]


@pytest.mark.parametrize("text", MANIFESTS)
def test_secrets_in_manifests_are_never_echoed(text: str) -> None:
    result = compile_sources({"p.yaml": text}, schemas=SCHEMAS)
    assert not result.ok
    for fmt in ("text", "json", "github"):
        assert SECRET not in format_diagnostics(result.diagnostics, fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("config", HEADERS)
def test_secrets_in_header_configs_are_never_echoed(config: dict[str, object]) -> None:
    assert _BASE is not None
    result = compile_header_config(json.dumps(config), _BASE, schemas=SCHEMAS)
    assert not result.ok
    assert SECRET not in format_diagnostics(result.diagnostics, "json")
    assert SECRET not in repr(result)


def test_compiled_header_specs_hold_slots_not_keys() -> None:
    assert _BASE is not None
    result = compile_header_config(
        json.dumps({"provider": "openai", "api_key": SECRET}), _BASE, schemas=SCHEMAS
    )
    assert result.ok and result.secrets == (SECRET,)
    assert SECRET not in msgspec.json.encode([result.route, result.providers]).decode()
