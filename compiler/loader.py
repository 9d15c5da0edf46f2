"""The compiler's only I/O: reading manifest files and the JSON Schemas.

`compile_paths` and the CLI call these; every pass after them works on values.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.passes.prompts_raw import PARTIAL_SUFFIXES
from compiler.schema import KINDS, SchemaSet

__all__ = ["default_schema_dir", "default_schemas", "load_paths", "load_schemas"]

_SUFFIXES = (".yaml", ".yml", *PARTIAL_SUFFIXES)
"""Manifests, and prompt partials (template text the prompts pass resolves)."""


def default_schema_dir() -> Path:
    """Return the repository's `schemas/` directory."""
    return Path(__file__).resolve().parent.parent / "schemas"


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read(path: Path, files: dict[str, str], diags: list[Diagnostic]) -> None:
    shown = _display(path)
    try:
        files[shown] = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not valid utf-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror or "unreadable"
        diags.append(
            Diagnostic(
                code="GW-E0006",
                severity="error",
                message=f"cannot read file: {reason}",
                file=shown,
                line=0,
                col=0,
                pointer="",
            )
        )


def load_paths(paths: Sequence[str | Path]) -> tuple[dict[str, str], list[Diagnostic]]:
    """Read every `*.yaml`/`*.yml` under the given files and directories, keyed by display path."""
    files: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file()):
                _read(found, files, diags)
        elif path.exists():
            _read(path, files, diags)
        else:
            diags.append(
                Diagnostic(
                    code="GW-E0006",
                    severity="error",
                    message="no such file or directory",
                    file=_display(path),
                    line=0,
                    col=0,
                    pointer="",
                )
            )
    return files, diags


def load_schemas(root: Path, checks: Path | None = None) -> SchemaSet:
    """Read the manifest schemas under `root` and the check schemas under `checks` (or root/checks)."""
    kinds = {kind: json.loads((root / f"{kind}.schema.json").read_text("utf-8")) for kind in KINDS}
    header = json.loads((root / "portkey-config.schema.json").read_text("utf-8"))
    check_dir = checks if checks is not None else root / "checks"
    found: dict[str, object] = {}
    if check_dir.is_dir():
        for path in sorted(check_dir.glob("*.schema.json")):
            try:
                found[path.name.removesuffix(".schema.json")] = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                found[path.name.removesuffix(".schema.json")] = {"not": {}}
    return SchemaSet(kinds=kinds, header=header, checks=found)


@functools.cache
def default_schemas() -> SchemaSet:
    """Return the repository's schemas, read once per process (they ship with the code)."""
    return load_schemas(default_schema_dir())
