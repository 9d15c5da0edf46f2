"""deploy/ci: the GitHub workflow is schema-valid and the hooks run real gw commands."""

from __future__ import annotations

import json
import shlex
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gateway.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "deploy" / "ci"


def _workflow() -> dict[Any, Any]:  # Any: workflow YAML
    doc: dict[Any, Any] = yaml.safe_load((CI / "gw-config.yml").read_text())
    doc["on"] = doc.pop(True)  # PyYAML reads the `on` key as YAML 1.1's boolean; GitHub does not
    return doc


def _runs() -> list[str]:
    return [step["run"] for step in _workflow()["jobs"]["check"]["steps"] if "run" in step]


def test_workflow_is_valid_against_the_github_workflow_schema() -> None:
    text = (files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json").read_text()
    schema = json.loads(text)
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [e.message for e in validator.iter_errors(_workflow())] == []


def test_workflow_validates_tests_and_diffs_against_the_base_branch() -> None:
    runs = "\n".join(_runs())
    assert 'gw validate "$GW_CONFIG" --format github' in runs
    assert 'gw test --config "$GW_CONFIG" --format github' in runs
    assert 'gw diff "origin/$BASE_REF" HEAD --path "$GW_CONFIG" --format markdown' in runs
    assert "--fail-on-risk" in runs
    checkout = _workflow()["jobs"]["check"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # the base branch must be there for git archive


def test_workflow_never_interpolates_untrusted_context_into_shell() -> None:
    assert all("${{" not in run for run in _runs())


def _hooks() -> list[dict[str, Any]]:  # Any: pre-commit YAML
    doc = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    hooks: list[dict[str, Any]] = doc["repos"][0]["hooks"]
    return hooks


def test_every_hook_is_a_gw_command_the_cli_accepts() -> None:
    parser = build_parser()
    ids = []
    for hook in _hooks():
        argv = shlex.split(hook["entry"])
        assert argv[0] == "gw" and hook["language"] == "system" and hook["pass_filenames"] is False
        parser.parse_args(argv[1:])
        ids.append(argv[1])
    assert ids == ["validate", "test", "diff"]


@pytest.mark.parametrize("hook_id", ["gw-validate", "gw-test"])
def test_hooks_pass_on_the_example_config(
    hook_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    (hook,) = [h for h in _hooks() if h["id"] == hook_id]
    assert main(shlex.split(hook["entry"])[1:]) == 0, capsys.readouterr().out
