"""`gw explain PROMPT --vars FILE` prints the rendered messages (the same renderer as the server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli.main import main
from tests.gateway.prompts.samples import BASE, prompt


def _config(root: Path) -> Path:
    manifest = prompt(
        '  - role: system\n    content: |\n      {% include "partials/head.j2" %}\n'
        '  - role: user\n    content: "{{ text }}"\n'
    )
    (root / "partials").mkdir()
    (root / "partials" / "head.j2").write_text("Be brief.\n", "utf-8")
    (root / "base.yaml").write_text(BASE, "utf-8")
    (root / "prompt.yaml").write_text(manifest, "utf-8")
    return root


def test_explain_renders_a_prompt_with_variables_from_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _config(tmp_path)
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"text": "Where is my order?"}), "utf-8")
    assert main(["explain", "p", str(root), "--vars", str(variables)]) == 0
    out = capsys.readouterr().out
    assert "prompt p v1" in out and "route: chat" in out
    assert "messages[0] system:\n    │ Be brief." in out
    assert "messages[1] user:\n    │ Where is my order?" in out


def test_explain_reports_a_missing_variable_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _config(tmp_path)
    assert main(["explain", "p", str(root)]) == 1
    assert (
        "not rendered: variable `text` is required by prompt `p` (variables.text)" in capsys.readouterr().out
    )


def test_explain_with_an_unknown_prompt_or_unreadable_vars_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _config(tmp_path)
    assert main(["explain", "q", str(root), "--vars", str(tmp_path / "none.json")]) == 2
    assert "cannot read --vars" in capsys.readouterr().err
    assert main(["explain", "q", str(root)]) == 2
    assert "unknown route `q`" in capsys.readouterr().err
    variables = tmp_path / "vars.json"
    variables.write_text("{}", "utf-8")
    assert main(["explain", "q", str(root), "--vars", str(variables)]) == 2
    assert "unknown prompt `q`; prompts: `p`" in capsys.readouterr().err
