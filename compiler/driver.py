"""The compiler's entry points: run the passes in order and collect every diagnostic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from compiler.diagnostics import Diagnostic, sort_key
from compiler.document import Document
from compiler.passes.guardrails import build_guardrails
from compiler.passes.kinds import build_entries
from compiler.passes.lint import check_unused
from compiler.passes.names import build_symbols
from compiler.passes.policy import build_policy
from compiler.passes.prompts import build_prompts
from compiler.passes.prompts_raw import PARTIAL_SUFFIXES
from compiler.passes.providers import build_providers
from compiler.passes.routes import ManifestResolver, build_routes
from compiler.passes.spend import build_budgets, build_prices
from compiler.raw import RawGuardrail
from compiler.schema import SchemaSet
from compiler.specs import CompiledGateway, content_hash
from compiler.yaml_source import parse_yaml

__all__ = ["CompileResult", "compile_paths", "compile_sources"]


@dataclass(frozen=True)
class CompileResult:
    """A compiled gateway (None when there are errors) and every diagnostic, sorted."""

    gateway: CompiledGateway | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error."""
        return not any(d.severity == "error" for d in self.diagnostics)


def _finish(gateway: CompiledGateway | None, diags: list[Diagnostic]) -> CompileResult:
    ordered = tuple(sorted(dict.fromkeys(diags), key=sort_key))
    failed = any(d.severity == "error" for d in ordered)
    return CompileResult(gateway=None if failed else gateway, diagnostics=ordered)


def _compile_docs(
    docs: list[Document], schemas: SchemaSet, *, loaded: bool, sources: Mapping[str, str]
) -> tuple[CompiledGateway, list[Diagnostic]]:
    entries, diags = build_entries(docs, schemas)
    symbols, entries, errs = build_symbols(entries)
    diags += errs
    providers, errs = build_providers(entries)
    diags += errs
    guardrails, errs = build_guardrails(entries, schemas)
    diags += errs
    applies: dict[str, tuple[str, ...] | None] = {
        ident: (e.raw.applies_to if isinstance(e.raw, RawGuardrail) else None)
        for ident, e in symbols.of("guardrail").items()
    }
    policy, errs = build_policy(entries, applies, symbols.of("route"))
    diags += errs
    resolver = ManifestResolver(
        providers=symbols.of("provider"),
        guardrail_ids=applies,
        guardrail_specs={g.id: g for g in guardrails},
    )
    routes, errs = build_routes(entries, resolver, policy)
    diags += errs
    budgets, errs = build_budgets(entries, {"route": symbols.of("route"), "provider": symbols.of("provider")})
    diags += errs
    prices, errs = build_prices(entries)
    diags += errs
    prompts, errs = build_prompts(entries, symbols.of("route"), sources)
    diags += errs
    complete = loaded and not any(d.severity == "error" for d in diags)
    diags += check_unused(entries, routes, budgets, policy, complete)
    gateway = CompiledGateway(
        providers=tuple(sorted(providers, key=lambda s: s.id)),
        routes=tuple(sorted(routes, key=lambda s: s.id)),
        guardrails=tuple(sorted(guardrails, key=lambda s: s.id)),
        budgets=tuple(sorted(budgets, key=lambda s: s.id)),
        pricing=tuple(prices),
        prompts=tuple(sorted(prompts, key=lambda s: s.id)),
        policy=policy,
    )
    return msgspec.structs.replace(gateway, content_hash=content_hash(gateway)), diags


def compile_sources(files: Mapping[str, str], *, schemas: SchemaSet | None = None) -> CompileResult:
    """Compile manifest texts keyed by display path (pure apart from reading the shipped schemas once)."""
    if schemas is None:
        from compiler.loader import default_schemas

        schemas = default_schemas()
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    for name in sorted(files):
        if name.endswith(PARTIAL_SUFFIXES):  # prompt partials: template text, resolved by the prompts pass
            continue
        found, errs = parse_yaml(name, files[name])
        docs += found
        diags += errs
    try:
        loaded = not any(d.severity == "error" for d in diags)
        gateway, errs = _compile_docs(docs, schemas, loaded=loaded, sources=files)
    except RecursionError:
        internal = Diagnostic(
            code="GW-E0901",
            severity="error",
            message="config nested too deeply",
            file="",
            line=0,
            col=0,
            pointer="",
        )
        return _finish(None, [*diags, internal])
    return _finish(gateway, diags + errs)


def compile_paths(paths: Sequence[str | Path], *, schemas: SchemaSet | None = None) -> CompileResult:
    """Read every `*.yaml`/`*.yml` under `paths` (recursively) and compile them together."""
    from compiler.loader import load_paths

    files, diags = load_paths(paths)
    result = compile_sources(files, schemas=schemas)
    if not diags:
        return result
    return _finish(result.gateway, list(result.diagnostics) + diags)
