"""`gw explain ROUTE`: the compiled tree, each node with its file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli.main import main

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"


def test_explain_prints_every_node_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "smart", str(CONFIGS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("route smart  (")
    assert "config.targets[0].targets[1]: provider anthropic" in out
    assert 'if metadata.user_plan $eq "paid" → [0]' in out
    assert "routes/smart.yaml:" in out


def test_explain_unknown_route_suggests_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "chatt", str(CONFIGS)]) == 2
    assert "did you mean `chat`?" in capsys.readouterr().err


def test_explain_header_compiles_a_portkey_config_without_showing_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    header = (
        '{"strategy": {"mode": "fallback"}, '
        '"targets": [{"provider": "groq"}, {"provider": "openai", "api_key": "sk-x1"}]}'
    )
    assert main(["explain", "--header", header, str(CONFIGS)]) == 0
    out = capsys.readouterr().out
    assert "route <header>" in out and "config.targets[1]: provider header:0" in out
    assert "provider header:0: openai (inline key)" in out and "sk-x1" not in out


def test_explain_header_reports_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--header", '{"provider": "openai_prod"}', str(CONFIGS)]) == 1
    assert "error[GW-E0603]: unknown provider `openai_prod`" in capsys.readouterr().out
