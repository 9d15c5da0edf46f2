"""Compile config test cases (`kind: test`) against a compiled gateway, apart from the gateway itself.

Test manifests may live next to the config (`configs/tests/`): the gateway's own compile accepts and
ignores them, so they never reach `CompiledGateway` or its content hash. `gw test` reads them here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.cases import TestCaseSpec
from compiler.diagnostics import Diagnostic, sort_key
from compiler.document import Document
from compiler.passes.cases import build_cases
from compiler.passes.kinds import build_entries
from compiler.schema import SchemaSet
from compiler.specs import CompiledGateway
from compiler.yaml_source import parse_yaml

__all__ = ["SuiteResult", "compile_suite", "compile_suite_paths"]


@dataclass(frozen=True)
class SuiteResult:
    """The compiled test cases and every diagnostic about them, sorted."""

    cases: tuple[TestCaseSpec, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error."""
        return not any(d.severity == "error" for d in self.diagnostics)


def _is_test(doc: Document) -> bool:
    return isinstance(doc.data, dict) and doc.data.get("kind") == "test"


def compile_suite(
    files: Mapping[str, str], gateway: CompiledGateway, *, schemas: SchemaSet | None = None
) -> SuiteResult:
    """Compile the `test` documents among manifest texts (other kinds are ignored here)."""
    if schemas is None:
        from compiler.loader import default_schemas

        schemas = default_schemas()
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    for name in sorted(files):
        found, errs = parse_yaml(name, files[name])
        docs += [d for d in found if _is_test(d)]
        diags += errs
    entries, errs = build_entries(docs, schemas)
    diags += errs
    cases, errs = build_cases(entries, gateway)
    diags += errs
    ordered = tuple(sorted(dict.fromkeys(diags), key=sort_key))
    return SuiteResult(cases=tuple(cases), diagnostics=ordered)


def compile_suite_paths(
    paths: Sequence[str | Path], gateway: CompiledGateway, *, schemas: SchemaSet | None = None
) -> SuiteResult:
    """Read every `*.yaml`/`*.yml` under `paths` and compile the test cases among them."""
    from compiler.loader import load_paths

    files, diags = load_paths(paths)
    result = compile_suite(files, gateway, schemas=schemas)
    if not diags:
        return result
    merged = tuple(sorted((*result.diagnostics, *diags), key=sort_key))
    return SuiteResult(cases=result.cases, diagnostics=merged)
