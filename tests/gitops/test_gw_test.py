"""`gw test`: the example cases pass, cover every routing strategy, and a failure reads as a diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import CompiledGateway
from compiler.loader import load_paths
from compiler.specs import LeafSpec, NodeSpec, StrategySpec
from compiler.suite import compile_suite
from gateway.cli.main import main
from tests.gitops.conftest import CONFIGS

_WRONG = """\
kind: test
id: expects_the_wrong_provider
description: Written to fail.
route: chat
upstreams: {openai: 503}
expect:
  status: 200
  provider: openai
  tried:
    - config.targets[0]
"""


def _modes(node: NodeSpec, path: str) -> set[str]:
    """Modes of the strategies a request to `path` passes through (`single` for a bare leaf route)."""
    if isinstance(node, LeafSpec):
        return {"single"} if node.path == "config" else set()
    assert isinstance(node, StrategySpec)
    out: set[str] = {node.mode}
    for child in node.targets:
        if path == child.path or path.startswith(child.path + "."):
            out |= _modes(child, path)
    return out


def test_example_cases_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", "--config", str(CONFIGS)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out
    assert out.splitlines()[-1].startswith("gw test: ")
    assert " 0 failed" in out.splitlines()[-1]


def test_example_cases_cover_every_routing_strategy_and_a_nested_tree(compiled: CompiledGateway) -> None:
    files, _ = load_paths([CONFIGS / "tests"])
    suite = compile_suite(files, compiled)
    routes = {r.id: r for r in compiled.routes}
    covered: set[str] = set()
    for case in suite.cases:
        target = case.expect.target or "config"
        covered |= _modes(routes[case.route].root, target)
    assert {"single", "fallback", "loadbalance", "conditional"} <= covered
    nested = {frozenset(_modes(routes[c.route].root, c.expect.target or "config")) for c in suite.cases}
    assert frozenset({"conditional", "fallback", "loadbalance"}) in nested


def test_cases_cover_guardrail_cache_and_budget_decisions(compiled: CompiledGateway) -> None:
    files, _ = load_paths([CONFIGS / "tests"])
    expects = [c.expect for c in compile_suite(files, compiled).cases]
    assert {e.guardrails for e in expects} >= {"deny", "flag", "redact"}
    assert {e.cache for e in expects} >= {"HIT", "MISS"}
    assert {e.budget for e in expects} >= {"allowed", "alert", "denied"}


def test_a_failing_case_prints_what_differs_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong.yaml").write_text(_WRONG)
    code = main(["test", "--config", str(CONFIGS), str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL expects_the_wrong_provider" in out
    assert "provider: expected 'openai', got 'anthropic'" in out
    assert "tried: (- expected, + actual)" in out
    assert "  + config.targets[1]" in out
    assert "gw test: 0 passed, 1 failed" in out


def test_json_output_lists_each_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "wrong.yaml").write_text(_WRONG)
    assert main(["test", "--config", str(CONFIGS), "--format", "json", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 1
    (row,) = report["cases"]
    assert row["id"] == "expects_the_wrong_provider" and row["target"] == "config.targets[1]"


def test_github_format_annotates_the_failing_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong.yaml").write_text(_WRONG)
    assert main(["test", "--config", str(CONFIGS), "--format", "github", str(tmp_path)]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(
        f"::error file={tmp_path / 'wrong.yaml'},line=1,col=1,title=gw test expects_the_wrong_provider::"
    )


def test_an_invalid_case_is_a_config_error_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(_WRONG.replace("route: chat", "route: chta"))
    assert main(["test", "--config", str(CONFIGS), str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:4:8: error[GW-E0303]: unknown route `chta`" in out


def test_no_cases_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--config", str(CONFIGS), str(tmp_path)]) == 2
    assert "no test cases found" in capsys.readouterr().err


def test_k_selects_cases_by_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--config", str(CONFIGS), "-k", "loadbalance"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("PASS")]
    assert lines and all("loadbalance" in line for line in lines)
