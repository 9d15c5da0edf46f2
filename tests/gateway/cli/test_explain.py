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
