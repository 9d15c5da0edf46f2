"""`gw validate`: exit codes, formats, --deny-warnings, --check-env; a cold start skips the server stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli.main import main

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"
UNUSED = REPO / "tests" / "compiler" / "cases" / "w0902_w0903_unused"
BROKEN = REPO / "tests" / "compiler" / "cases" / "e0301_unknown_provider"


def test_valid_configs_exit_0_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CONFIGS)]) == 0
    assert capsys.readouterr().out.strip().endswith("gw: 0 errors, 0 warnings (config compiled)")


def test_config_errors_exit_1_and_print_file_line_col(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BROKEN)]) == 1
    err = capsys.readouterr().out
    assert "routes.yaml:5:15: error[GW-E0301]: unknown provider `openai-prod`" in err
    assert "hint: did you mean `openai_prod`?" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "xml"]) == 2
    assert main(["nonsense"]) == 2
    capsys.readouterr()


def test_json_format_prints_a_diagnostic_array(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(BROKEN)]) == 1
    (diag,) = json.loads(capsys.readouterr().out)
    assert (diag["code"], diag["pointer"], diag["line"], diag["col"]) == (
        "GW-E0301",
        "/targets/0/provider",
        5,
        15,
    )


def test_github_format_prints_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "github", str(BROKEN)]) == 1
    assert capsys.readouterr().out.startswith("::error file=")


def test_warnings_pass_unless_denied(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(UNUSED)]) == 0
    assert main(["validate", "--deny-warnings", str(UNUSED)]) == 1
    capsys.readouterr()


def test_check_env_warns_about_unset_variables_without_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.endswith("_API_KEY") or name == "LOCAL_LLM_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-visible-only-to-the-process")
    assert main(["validate", "--check-env", str(CONFIGS)]) == 0
    err = capsys.readouterr().out
    assert "warning[GW-W0906]: environment variable `ANTHROPIC_API_KEY` is not set" in err
    assert "`OPENAI_API_KEY`" not in err and "sk-visible" not in err
    assert main(["validate", "--check-env", "--deny-warnings", str(CONFIGS)]) == 1
    capsys.readouterr()


def test_cold_validate_does_not_import_the_server_stack() -> None:
    code = (
        "import sys; from gateway.cli.main import main; rc = main(['validate', 'configs']); "
        "heavy = [m for m in ('litestar', 'aiohttp', 'valkey', 'sqlalchemy', 'opentelemetry', 'lancedb', "
        "'fastembed', 'uvicorn', 'httpx') if m in sys.modules]; print(rc, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("\n0 []")


def test_missing_optional_commands_say_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gateway.cli.serve", None)
    assert main(["serve"]) == 2
    assert "serve is not available" in capsys.readouterr().err
