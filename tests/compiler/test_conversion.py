"""Values JSON Schema admits but the raw structs cannot hold are reported, never a crash."""

from __future__ import annotations

from compiler import compile_header_config, compile_paths, compile_sources

MANIFESTS = """kind: provider
id: p
type: openai
api_key: {env: OPENAI_API_KEY}
---
kind: route
id: r
targets:
  - provider: p
cache: {mode: simple, max_age: 1.0e+20}
"""


def test_huge_whole_number_in_a_manifest_is_out_of_range_at_its_position() -> None:
    result = compile_sources({"r.yaml": MANIFESTS})
    [diag] = result.diagnostics
    assert (diag.code, diag.pointer, diag.line, diag.col) == ("GW-E0105", "/cache/max_age", 10, 32)
    assert result.gateway is None


def test_huge_whole_number_in_a_header_config_is_out_of_range_not_an_exception() -> None:
    base = compile_paths(["configs"]).gateway
    assert base is not None
    header = '{"provider": "openai", "api_key": "sk-x", "cache": {"mode": "simple", "max_age": 1e20}}'
    result = compile_header_config(header, base)
    assert [(d.code, d.pointer) for d in result.diagnostics] == [("GW-E0105", "/cache/max_age")]
    assert result.route is None
    assert all("sk-x" not in d.message for d in result.diagnostics)
