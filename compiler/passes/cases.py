"""Test cases: resolve each `test` manifest against the compiled gateway it exercises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from compiler.canonical import canonical_json
from compiler.cases import CaseExpect, OutcomeSpec, RawOutcome, RawTest, TestCaseSpec
from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.passes.kinds import Entry
from compiler.specs import CompiledGateway, NodeSpec, RouteSpec, StrategySpec

__all__ = ["build_cases", "target_keys"]

_DEFAULT_BODY = {"messages": [{"role": "user", "content": "hello"}]}


def _nodes(node: NodeSpec) -> Iterator[NodeSpec]:
    yield node
    if isinstance(node, StrategySpec):
        for child in node.targets:
            yield from _nodes(child)


def target_keys(route: RouteSpec) -> dict[str, str]:
    """Every key an `upstreams` entry may use for this route → the path it stands for.

    Node paths stand for themselves, node names for their path, provider ids for themselves (a
    provider key matches every target of that provider)."""
    keys: dict[str, str] = {}
    for node in _nodes(route.root):
        keys[node.path] = node.path
        if node.name:
            keys[node.name] = node.path
        provider = getattr(node, "provider", None)
        if isinstance(provider, str):
            keys.setdefault(provider, provider)
    return keys


def _outcomes(value: Any) -> tuple[OutcomeSpec, ...]:  # Any: schema-checked int | mapping | list
    items = value if isinstance(value, list) else [value]
    out: list[OutcomeSpec] = []
    for item in items:
        raw = RawOutcome(status=item) if isinstance(item, int) else msgspec.convert(item, RawOutcome)
        out.append(OutcomeSpec(**msgspec.structs.asdict(raw)))
    return tuple(out)


def _build_one(
    entry: Entry, raw: RawTest, routes: dict[str, RouteSpec]
) -> tuple[TestCaseSpec | None, list[Diagnostic]]:
    doc = entry.doc
    route = routes.get(raw.route)
    if route is None:
        return None, [doc.unknown("GW-E0303", "/route", "route", raw.route, routes)]
    keys = target_keys(route)
    diags: list[Diagnostic] = []
    upstreams: list[tuple[str, tuple[OutcomeSpec, ...]]] = []
    for key, value in raw.upstreams.items():
        resolved = keys.get(key)
        if resolved is None:
            hint = suggest(key, keys, f"targets of route `{route.id}`")
            msg = f"unknown target or provider `{key}` in upstreams of route `{route.id}`"
            diags.append(doc.diag("GW-E0301", f"/upstreams/{key}", msg, hint=hint, key=True))
            continue
        upstreams.append((resolved, _outcomes(value)))
    if diags:
        return None, diags
    spec = TestCaseSpec(
        id=raw.id,
        route=raw.route,
        description=raw.description,
        endpoint=raw.endpoint,
        body=canonical_json(raw.request if raw.request is not None else _DEFAULT_BODY),
        metadata=tuple(sorted(raw.metadata.items())),
        headers=tuple(sorted((k.lower(), v) for k, v in raw.headers.items())),
        upstreams=tuple(sorted(upstreams)),
        repeat=raw.repeat,
        seed=raw.seed,
        expect=CaseExpect(**msgspec.structs.asdict(raw.expect)),
        source=doc.source(""),
    )
    return spec, []


def build_cases(
    entries: list[Entry], gateway: CompiledGateway
) -> tuple[list[TestCaseSpec], list[Diagnostic]]:
    """Compile every valid `test` entry; references are checked against the gateway's routes."""
    routes = {r.id: r for r in gateway.routes}
    cases: list[TestCaseSpec] = []
    diags: list[Diagnostic] = []
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.kind != "test" or not isinstance(entry.raw, RawTest):
            continue
        first = seen.setdefault(entry.raw.id, entry)
        if first is not entry:
            note = f"first defined at {first.doc.where('/id')}"
            msg = f"test `{entry.raw.id}` is defined more than once"
            diags.append(entry.doc.diag("GW-E0201", "/id", msg, hint="rename one of them", notes=(note,)))
            continue
        spec, errs = _build_one(entry, entry.raw, routes)
        diags += errs
        if spec is not None:
            cases.append(spec)
    return sorted(cases, key=lambda c: c.id), diags
