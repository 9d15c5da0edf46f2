"""Diagnostic rendering: text for people, JSON for tools, workflow commands for GitHub."""

from __future__ import annotations

import json

from compiler import Diagnostic, format_diagnostics, summary_line

DIAG = Diagnostic(
    code="GW-E0301",
    severity="error",
    message="unknown provider `openai-prod`",
    file="configs/routes/chat.yaml",
    line=14,
    col=19,
    pointer="/targets/1/provider",
    hint="did you mean `openai_prod`?",
    notes=("defined at configs/providers.yaml:2:5",),
)


def test_text_format_matches_the_house_style() -> None:
    assert format_diagnostics([DIAG], "text") == (
        "configs/routes/chat.yaml:14:19: error[GW-E0301]: unknown provider `openai-prod`\n"
        "  at /targets/1/provider\n"
        "  hint: did you mean `openai_prod`?\n"
        "  note: defined at configs/providers.yaml:2:5"
    )


def test_json_format_round_trips_every_field() -> None:
    (item,) = json.loads(format_diagnostics([DIAG], "json"))
    assert item["code"] == "GW-E0301" and item["line"] == 14 and item["pointer"] == "/targets/1/provider"


def test_github_format_is_a_workflow_annotation() -> None:
    line = format_diagnostics([DIAG], "github")
    assert line.startswith("::error file=configs/routes/chat.yaml,line=14,col=19,title=GW-E0301::")
    assert "%0Ahint: did you mean" in line


def test_summary_counts_errors_and_warnings() -> None:
    warning = Diagnostic(
        code="GW-W0902", severity="warning", message="m", file="f", line=1, col=1, pointer=""
    )
    assert summary_line([DIAG, warning], compiled=False) == "gw: 1 error, 1 warning (config not compiled)"
    assert summary_line([], compiled=True) == "gw: 0 errors, 0 warnings (config compiled)"
