"""Kind dispatch and typing: each document becomes an Entry holding a raw struct (or None if invalid)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from compiler.cases import RawTest
from compiler.conversion import convert_raw
from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import closest
from compiler.document import Document
from compiler.passes.prompts_raw import RawPrompt
from compiler.raw import RawBudget, RawGuardrail, RawPolicy, RawPricing, RawProvider, RawRoute
from compiler.schema import KINDS, RESERVED_KINDS, SchemaSet, check_instance, json_type

__all__ = ["RAW_TYPES", "Entry", "build_each", "build_entries"]

RAW_TYPES: dict[str, type[Any]] = {
    "provider": RawProvider,
    "route": RawRoute,
    "guardrail": RawGuardrail,
    "budget": RawBudget,
    "policy": RawPolicy,
    "pricing": RawPricing,
    "test": RawTest,
    "prompt": RawPrompt,
}
"""Manifest kind → raw struct type."""


@dataclass(frozen=True)
class Entry:
    """One manifest: its kind and id (when readable), document, and typed form (None if invalid)."""

    kind: str
    id: str | None
    doc: Document
    raw: Any  # Any: one of RAW_TYPES' structs, or None when the manifest has errors


_Raw = TypeVar("_Raw")
_Spec = TypeVar("_Spec")


def build_each(
    entries: list[Entry],
    raw_type: type[_Raw],
    build: Callable[[Entry, _Raw], tuple[_Spec | None, list[Diagnostic]]],
) -> tuple[list[_Spec], list[Diagnostic]]:
    """Build every valid manifest of one kind (its raw struct is `raw_type`), collecting diagnostics."""
    specs: list[_Spec] = []
    diags: list[Diagnostic] = []
    for entry in entries:
        if isinstance(entry.raw, raw_type):
            spec, errs = build(entry, entry.raw)
            diags.extend(errs)
            if spec is not None:
                specs.append(spec)
    return specs, diags


def _kind_of(doc: Document) -> tuple[str | None, list[Diagnostic]]:
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            doc.diag("GW-E0005", "", f"expected a mapping with `kind` and `id`, found {json_type(data)}")
        ]
    kind = data.get("kind")
    if kind is None:
        hint = "add `kind:` (one of " + ", ".join(f"`{k}`" for k in KINDS) + ")"
        return None, [doc.diag("GW-E0102", "", "missing required key `kind`", hint=hint)]
    if isinstance(kind, str) and kind in RAW_TYPES:
        return kind, []
    if isinstance(kind, str) and kind in RESERVED_KINDS:
        msg = f"kind `{kind}` is reserved and not supported yet"
        return None, [doc.diag("GW-E0107", "/kind", msg)]
    best = closest(kind, KINDS) if isinstance(kind, str) else None
    hint = f"did you mean `{best}`?" if best else "expected one of " + ", ".join(f"`{k}`" for k in KINDS)
    shown = f"`{kind}`" if isinstance(kind, str) else f"a {json_type(kind)}"
    return None, [doc.diag("GW-E0107", "/kind", f"unknown kind {shown}", hint=hint)]


def build_entries(docs: list[Document], schemas: SchemaSet) -> tuple[list[Entry], list[Diagnostic]]:
    """Validate every document against its kind's schema and convert the valid ones to raw structs."""
    entries: list[Entry] = []
    diags: list[Diagnostic] = []
    for doc in docs:
        kind, found = _kind_of(doc)
        diags.extend(found)
        if kind is None:
            continue
        errors = [] if doc.broken else check_instance(doc, schemas.validator(kind), doc.data)
        diags.extend(errors)
        ident = doc.data.get("id")
        ident = ident if isinstance(ident, str) else None
        raw = None
        if not errors and not doc.broken:
            raw, problems = convert_raw(doc, doc.data, RAW_TYPES[kind])
            diags.extend(problems)
        entries.append(Entry(kind=kind, id=ident, doc=doc, raw=raw))
    return entries, diags
