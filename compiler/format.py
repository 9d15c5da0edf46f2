"""Render diagnostics for people (`text`), tools (`json`) and GitHub Actions (`github`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from compiler.diagnostics import Diagnostic

__all__ = ["Format", "format_diagnostics", "summary_line"]

Format = Literal["text", "json", "github"]


def _text(diag: Diagnostic) -> str:
    where = f"{diag.file}:{diag.line}:{diag.col}" if diag.line else diag.file or "<config>"
    lines = [f"{where}: {diag.severity}[{diag.code}]: {diag.message}"]
    if diag.pointer:
        lines.append(f"  at {diag.pointer}")
    if diag.hint:
        lines.append(f"  hint: {diag.hint}")
    lines += [f"  note: {note}" for note in diag.notes]
    return "\n".join(lines)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(diag: Diagnostic) -> str:
    level = "error" if diag.severity == "error" else "warning"
    props = [f"file={_github_escape(diag.file, prop=True)}"]
    if diag.line:
        props += [f"line={diag.line}", f"col={diag.col}"]
    props.append(f"title={_github_escape(diag.code, prop=True)}")
    body = diag.message + (f" (at {diag.pointer})" if diag.pointer else "")
    if diag.hint:
        body += f"\nhint: {diag.hint}"
    return f"::{level} {','.join(props)}::{_github_escape(body)}"


def format_diagnostics(diags: Iterable[Diagnostic], fmt: Format = "text") -> str:
    """Render diagnostics, one block (text), one JSON array (json) or one line each (github)."""
    items = list(diags)
    if fmt == "json":
        return msgspec.json.encode(items).decode()
    render = _github if fmt == "github" else _text
    return "\n".join(render(d) for d in items)


def summary_line(diags: Iterable[Diagnostic], *, compiled: bool) -> str:
    """Return `gw: N errors, M warnings` with whether the config compiled."""
    items = list(diags)
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    return f"gw: {counts} ({'config compiled' if compiled else 'config not compiled'})"
