"""Routes: RouteSpecs from route manifests, every reference checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.passes.inherit import Inherited
from compiler.passes.kinds import Entry, build_each
from compiler.passes.streaming import check_stream_guardrails
from compiler.passes.tree import TreeBuilder, dedupe
from compiler.pointer import join
from compiler.raw import RawNode, RawProvider, RawRoute
from compiler.specs import GuardrailSpec, PolicySpec, RouteSpec

__all__ = ["ManifestResolver", "build_routes", "check_guardrail_refs"]


def check_guardrail_refs(
    doc: Document,
    pointer: str,
    ids: tuple[str, ...],
    where: str,
    guardrails: Mapping[str, tuple[str, ...] | None],
    *,
    indexes: tuple[int, ...] | None = None,
) -> list[Diagnostic]:
    """Check guardrail ids exist and apply to `where` (`guardrails`: id → applies_to, None if unknown)."""
    diags: list[Diagnostic] = []
    for i, ident in enumerate(ids):
        at = join(pointer, indexes[i] if indexes is not None else i)
        if ident not in guardrails:
            diags.append(doc.unknown("GW-E0302", at, "guardrail", ident, guardrails))
            continue
        applies = guardrails[ident]
        if applies is not None and where not in applies:
            msg = f"guardrail `{ident}` applies to {', '.join(applies)} only, not {where}"
            other = "output" if where == "input" else "input"
            hint = f"add `{where}` to its `applies_to`, or move it to `{other}_guardrails`"
            diags.append(doc.diag("GW-E0306", at, msg, hint=hint))
    return diags


@dataclass(frozen=True)
class ManifestResolver:
    """Targets name manifest providers; guardrail entries are manifest guardrail ids."""

    providers: Mapping[str, Any]  # Any: whatever the caller keeps per provider id
    guardrail_ids: Mapping[str, tuple[str, ...] | None]
    guardrail_specs: Mapping[str, GuardrailSpec] = field(default_factory=dict)
    """Compiled guardrails, for the streaming check."""

    def provider(self, doc: Document, pointer: str, node: RawNode) -> tuple[str | None, list[Diagnostic]]:
        """Resolve `provider` (or Portkey's `virtual_key`) to a provider id."""
        key = "provider" if node.provider is not None else "virtual_key"
        name = node.provider if node.provider is not None else node.virtual_key
        if name is None:
            add = "add `provider: <provider id>`, or `strategy` + `targets`"
            return None, [doc.diag("GW-E0506", pointer, "a target needs a `provider`", hint=add)]
        if name not in self.providers:
            return None, [doc.unknown("GW-E0301", join(pointer, key), "provider", name, self.providers)]
        return name, []

    def guardrails(
        self, doc: Document, pointer: str, entries: tuple[Any, ...], where: str
    ) -> tuple[tuple[str, ...], list[Diagnostic]]:  # Any: guardrail ids (strings) in manifests
        """Check guardrail ids exist and apply where they are used."""
        ids = tuple(e for e in entries if isinstance(e, str))
        return ids, check_guardrail_refs(doc, pointer, ids, where, self.guardrail_ids)

    def models(self, provider: str) -> tuple[str, ...]:
        """Return the models a manifest provider offers (empty: any)."""
        raw = getattr(self.providers.get(provider), "raw", None)
        return raw.models if isinstance(raw, RawProvider) else ()

    def hooks(
        self, doc: Document, pointer: str, node: RawNode
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, list[Diagnostic]]:
        """Manifests have no hook objects."""
        return None, None, []


def build_route(
    entry: Entry, raw: RawRoute, resolver: ManifestResolver, policy: PolicySpec
) -> tuple[RouteSpec | None, list[Diagnostic]]:
    """Compile one route manifest."""
    doc = entry.doc
    builder = TreeBuilder(doc=doc, resolver=resolver)
    root, diags = builder.node(raw, "", (), Inherited(), root=True)
    ins = raw.input_guardrails or ()
    outs = raw.output_guardrails or ()
    diags += check_guardrail_refs(doc, "/input_guardrails", ins, "input", resolver.guardrail_ids)
    diags += check_guardrail_refs(doc, "/output_guardrails", outs, "output", resolver.guardrail_ids)
    if root is None:
        return None, diags
    selectable = raw.header_selectable and (
        policy.header_selectable_routes is None or raw.id in policy.header_selectable_routes
    )
    spec = RouteSpec(
        id=raw.id,
        root=root,
        description=raw.description,
        input_guardrails=dedupe(policy.enforced_input_guardrails + ins),
        output_guardrails=dedupe(policy.enforced_output_guardrails + outs),
        deadline_ms=raw.deadline_ms if raw.deadline_ms is not None else policy.default_deadline_ms,
        buffer_stream=raw.buffer_stream,
        header_selectable=selectable,
        source=doc.source(""),
    )
    diags += check_stream_guardrails(doc, raw, spec, resolver.guardrail_specs)
    return spec, diags


def build_routes(
    entries: list[Entry], resolver: ManifestResolver, policy: PolicySpec
) -> tuple[list[RouteSpec], list[Diagnostic]]:
    """Compile every valid route manifest."""
    return build_each(entries, RawRoute, lambda entry, raw: build_route(entry, raw, resolver, policy))
