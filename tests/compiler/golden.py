"""Render a golden case directory: manifests (`*.yaml`), optionally a `header.json` compiled against them."""

from __future__ import annotations

from pathlib import Path

from compiler import compile_header_config, compile_sources, format_diagnostics, summary_line
from compiler.loader import load_schemas

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "compiler" / "cases"
SCHEMAS = load_schemas(REPO / "schemas")


def render_case(case: Path) -> str:
    """Compile a case and render its diagnostics as `gw validate` prints them."""
    found = [p for p in case.rglob("*") if p.suffix in (".yaml", ".j2")]  # .j2: prompt partials
    files = {p.relative_to(case).as_posix(): p.read_text("utf-8") for p in sorted(found)}
    result = compile_sources(files, schemas=SCHEMAS)
    header = case / "header.json"
    if header.exists():
        assert result.gateway is not None, format_diagnostics(result.diagnostics)
        compiled = compile_header_config(header.read_text("utf-8"), result.gateway, schemas=SCHEMAS)
        diags, ok = compiled.diagnostics, compiled.ok
    else:
        diags, ok = result.diagnostics, result.ok
    body = format_diagnostics(diags, "text")
    return (body + "\n" if body else "") + summary_line(diags, compiled=ok) + "\n"
