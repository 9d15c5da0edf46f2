"""`kind: test` manifests: compiled apart from the gateway, references checked, errors located."""

from __future__ import annotations

from compiler import CompiledGateway, compile_sources
from compiler.loader import load_paths
from compiler.suite import compile_suite
from tests.gitops.conftest import CONFIGS

_CASE = """\
kind: test
id: paid_user
route: smart
metadata: {user_plan: paid}
upstreams:
  openai: [429, {status: 200, content: hi}]
expect: {status: 200, provider: openai}
"""


def test_test_manifests_never_reach_the_compiled_gateway_or_its_hash() -> None:
    files, _ = load_paths([CONFIGS])
    without = {k: v for k, v in files.items() if "/tests/" not in k}
    assert len(without) < len(files)
    full, bare = compile_sources(files), compile_sources(without)
    assert full.ok and bare.ok
    assert full.gateway is not None and bare.gateway is not None
    assert full.gateway.content_hash == bare.gateway.content_hash
    assert "kind: test" not in repr(full.gateway)


def test_every_example_test_case_compiles(compiled: CompiledGateway) -> None:
    files, _ = load_paths([CONFIGS / "tests"])
    suite = compile_suite(files, compiled)
    assert suite.ok, suite.diagnostics
    assert len(suite.cases) == len({c.id for c in suite.cases}) >= 20


def test_case_outcomes_are_resolved_to_paths_and_kept_in_order(compiled: CompiledGateway) -> None:
    suite = compile_suite({"t.yaml": _CASE}, compiled)
    (case,) = suite.cases
    (key, outcomes) = case.upstreams[0]
    assert key == "openai"
    assert [o.status for o in outcomes] == [429, 200]
    assert outcomes[1].content == "hi"
    assert case.metadata == (("user_plan", "paid"),)
    assert str(case.source) == "t.yaml:1:1"


def test_target_names_become_paths(compiled: CompiledGateway) -> None:
    text = _CASE.replace("route: smart", "route: triage").replace("  openai:", "  primary:")
    (case,) = compile_suite({"t.yaml": text}, compiled).cases
    assert case.upstreams[0][0] == "config.targets[0].targets[0]"


def test_unknown_route_suggests_the_closest(compiled: CompiledGateway) -> None:
    suite = compile_suite({"t.yaml": _CASE.replace("route: smart", "route: smrt")}, compiled)
    (diag,) = suite.diagnostics
    assert (diag.code, diag.pointer, diag.line) == ("GW-E0303", "/route", 3)
    assert diag.hint is not None and "`smart`" in diag.hint


def test_unknown_upstream_target_is_located_at_its_key(compiled: CompiledGateway) -> None:
    suite = compile_suite({"t.yaml": _CASE.replace("  openai:", "  openia:")}, compiled)
    (diag,) = suite.diagnostics
    assert (diag.code, diag.pointer, diag.line, diag.col) == ("GW-E0301", "/upstreams/openia", 6, 3)
    assert diag.hint is not None and "`openai`" in diag.hint


def test_typo_in_expectations_is_an_unknown_key(compiled: CompiledGateway) -> None:
    suite = compile_suite({"t.yaml": _CASE.replace("provider: openai", "provder: openai")}, compiled)
    (diag,) = suite.diagnostics
    assert (diag.code, diag.pointer) == ("GW-E0101", "/expect/provder")


def test_gateway_compile_validates_test_manifests_too() -> None:
    result = compile_sources({"t.yaml": _CASE.replace("status: 200, provider", "status: ok, provider")})
    assert [d.code for d in result.diagnostics] == ["GW-E0103"]


def test_duplicate_case_ids_are_reported(compiled: CompiledGateway) -> None:
    suite = compile_suite({"a.yaml": _CASE, "b.yaml": _CASE}, compiled)
    assert [d.code for d in suite.diagnostics] == ["GW-E0201"]
    assert len(suite.cases) == 1
