"""`gw compile`: a deterministic JSON artifact and its content hash."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from compiler.specs import CompiledGateway
from gateway.cli.main import main

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"


def test_compile_writes_the_artifact_and_prints_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["compile", str(CONFIGS), "-o", str(first)]) == 0
    printed = capsys.readouterr().out.strip()
    assert main(["compile", str(CONFIGS), "-o", str(second)]) == 0
    capsys.readouterr()
    assert first.read_bytes() == second.read_bytes()
    gateway = msgspec.json.decode(first.read_bytes(), type=CompiledGateway)
    assert printed == gateway.content_hash and printed.startswith("sha256:")
    assert gateway.routes and gateway.providers


def test_compile_refuses_broken_configs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = REPO / "tests" / "compiler" / "cases" / "e0401_literal_secret"
    out = tmp_path / "x.json"
    assert main(["compile", str(broken), "-o", str(out)]) == 1
    assert not out.exists()
    err = capsys.readouterr().out
    assert "GW-E0401" in err and "sk-proj" not in err


def test_compile_to_stdout_keeps_diagnostics_out_of_the_artifact(capfd: pytest.CaptureFixture[str]) -> None:
    unused = REPO / "tests" / "compiler" / "cases" / "w0902_w0903_unused"
    assert main(["compile", str(unused)]) == 0
    out, err = capfd.readouterr()
    gateway = msgspec.json.decode(out.encode(), type=CompiledGateway)
    assert "GW-W0902" in err and err.strip().endswith(gateway.content_hash)
