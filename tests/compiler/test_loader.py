"""Loading manifests from disk: recursion, suffixes, unreadable files."""

from __future__ import annotations

from pathlib import Path

from compiler import compile_paths
from compiler.loader import default_schemas, load_paths


def test_directories_are_read_recursively_for_yaml_and_yml(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text("kind: policy\nid: p\n")
    (tmp_path / "two.yml").write_text("x: 1\n")
    (tmp_path / "notes.txt").write_text("ignored")
    files, diags = load_paths([tmp_path])
    assert sorted(Path(f).name for f in files) == ["one.yaml", "two.yml"]
    assert diags == []


def test_missing_and_unreadable_files_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"kind: policy\nid: \xe9\n")
    result = compile_paths([tmp_path / "missing.yaml", bad])
    codes = [(d.code, d.message) for d in result.diagnostics]
    assert ("GW-E0006", "no such file or directory") in codes
    assert ("GW-E0006", "cannot read file: not valid utf-8") in codes
    assert not result.ok


def test_shipped_check_schemas_are_found() -> None:
    assert {"pii", "keywords", "regexMatch", "contains"} <= set(default_schemas().checks)
