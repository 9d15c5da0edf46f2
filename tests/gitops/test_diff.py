"""`gw diff`: semantic changes between two copies of the example config, or two git refs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler import compile_paths
from compiler.diff import diff_gateways, render
from gateway.cli.main import main
from tests.gitops.conftest import CONFIGS


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(CONFIGS, target)
    return target


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new))


def _diff(old: Path, new: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["diff", str(old), str(new), *extra])
    return code, capsys.readouterr().out


def test_identical_configs_have_no_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _diff(CONFIGS, _copy(tmp_path, "new"), "--fail-on-risk", capsys=capsys)
    assert code == 0
    assert "No semantic change" in out


def test_removing_an_enforced_guardrail_is_flagged_risky(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "policy.yaml", "enforced_input_guardrails: [no_secrets]", "enforced_input_guardrails: []")
    code, out = _diff(CONFIGS, new, "--fail-on-risk", capsys=capsys)
    assert code == 1
    assert "| ⚠️ risky | `policy` | guardrail `no_secrets` removed from the enforced input policy" in out
    # Routes that only ran it through the policy lose it too; `chat` lists it itself and keeps it.
    assert "| ⚠️ risky | `route smart` | input guardrail `no_secrets` removed from the route |" in out
    assert "`route chat` | input guardrail `no_secrets`" not in out


def test_without_fail_on_risk_the_exit_code_stays_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "policy.yaml", "enforced_input_guardrails: [no_secrets]", "enforced_input_guardrails: []")
    code, out = _diff(CONFIGS, new, capsys=capsys)
    assert code == 0 and "risky" in out


def test_weight_change_reports_traffic_shares(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "routes/balanced.yaml", "weight: 2", "weight: 1")
    code, out = _diff(CONFIGS, new, "--format", "text", "--fail-on-risk", capsys=capsys)
    assert code == 0
    assert "route balanced config: loadbalance traffic shares changed" in out
    assert "`openai`: weight 2 → 1, traffic 66.7% → 50.0%" in out
    assert "`azure_eu`: weight 1 → 1, traffic 33.3% → 50.0%" in out


def test_budget_raised_beyond_the_factor_is_risky_below_it_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "budgets.yaml", "limit_usd: 50\n", "limit_usd: 75\n")
    _edit(new, "budgets.yaml", "limit_usd: 500\n", "limit_usd: 5000\n")
    code, out = _diff(CONFIGS, new, "--format", "text", "--fail-on-risk", capsys=capsys)
    assert code == 1
    assert "RISK  budget team_search_monthly: limit_usd raised 500 → 5000 (10×)" in out
    assert "      budget eu_customers: limit_usd raised 50 → 75 (1.5×)" in out
    code, _ = _diff(CONFIGS, new, "--budget-factor", "20", "--fail-on-risk", capsys=capsys)
    assert code == 0


def test_fallback_target_removed_and_reordered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _copy(tmp_path, "old"), _copy(tmp_path, "new")
    text = (new / "routes/chat.yaml").read_text()
    head, _, _ = text.partition("  - provider: anthropic")
    (new / "routes/chat.yaml").write_text(head)
    result = diff_gateways(_compiled(old), _compiled(new))
    assert [(c.kind, c.subject, c.risky) for c in result.risky] == [
        ("target_removed", "route chat config", True)
    ]
    assert result.risky[0].message == "fallback target `anthropic` removed"


def test_guardrail_action_loosened_and_route_removed(tmp_path: Path) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "guardrails.yaml", "applies_to: [input]\naction: deny", "applies_to: [input]\naction: flag")
    (new / "routes/smart.yaml").unlink()
    result = diff_gateways(_compiled(CONFIGS), _compiled(new))
    kinds = {(c.kind, c.subject) for c in result.risky}
    assert ("guardrail_loosened", "guardrail no_secrets") in kinds
    assert ("route_removed", "route smart") in kinds


def test_json_format_is_machine_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "policy.yaml", "enforced_input_guardrails: [no_secrets]", "enforced_input_guardrails: []")
    _, out = _diff(CONFIGS, new, "--format", "json", capsys=capsys)
    body = json.loads(out)
    assert body["risky"] >= 1
    kinds = {(c["kind"], c["subject"], c["risky"]) for c in body["changes"]}
    assert ("enforced_guardrail_removed", "policy", True) in kinds


def test_markdown_renders_a_pr_comment_table() -> None:
    compiled = _compiled(CONFIGS)
    text = render(diff_gateways(compiled, compiled))
    assert text.startswith("### gw diff `sha256:")


def test_git_refs_are_read_without_touching_the_working_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CONFIGS, repo / "configs")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "configs"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "base"], check=True)
    _edit(
        repo / "configs",
        "policy.yaml",
        "enforced_input_guardrails: [no_secrets]",
        "enforced_input_guardrails: []",
    )
    subprocess.run([*git, "-C", str(repo), "commit", "-qam", "drop the enforced guardrail"], check=True)
    (repo / "configs" / "policy.yaml").write_text("uncommitted: edit\n")
    monkeypatch.chdir(repo)
    code = main(["diff", "HEAD~1", "HEAD", "--fail-on-risk"])
    assert code == 1
    assert "guardrail `no_secrets` removed from the enforced input policy" in capsys.readouterr().out
    assert (repo / "configs" / "policy.yaml").read_text() == "uncommitted: edit\n"


def test_unknown_ref_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "no-such-ref-or-dir", str(CONFIGS)]) == 2
    assert "`no-such-ref-or-dir` is neither a directory nor a git ref" in capsys.readouterr().err


def test_a_side_that_does_not_compile_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _copy(tmp_path, "new")
    _edit(new, "routes/chat.yaml", "provider: anthropic", "provider: antropic")
    assert main(["diff", str(CONFIGS), str(new)]) == 1
    assert "unknown provider `antropic`" in capsys.readouterr().err


def _compiled(root: Path):  # type: ignore[no-untyped-def]
    result = compile_paths([root])
    assert result.gateway is not None, result.diagnostics
    return result.gateway
