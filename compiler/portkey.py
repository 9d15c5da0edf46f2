"""The `x-portkey-config` front end: a Portkey JSON config (or a route id) compiled to the same Specs.

Inline provider keys never enter a Spec: an ad-hoc ProviderSpec holds `SecretRef(slot=i)` and the
value travels beside it in `HeaderCompileResult.secrets[i]`. The policy's enforced guardrails are
always added; a header cannot remove them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler.conversion import convert_raw
from compiler.diagnostics import Diagnostic, sort_key
from compiler.did_you_mean import suggest
from compiler.document import Document
from compiler.header_resolver import HeaderResolver
from compiler.header_source import HEADER_FILE, parse_header
from compiler.hosts import custom_host_problem
from compiler.passes.inherit import Inherited
from compiler.passes.lint import leaves
from compiler.passes.tree import TreeBuilder, dedupe
from compiler.pointer import join
from compiler.raw import RawHeaderNode
from compiler.schema import SchemaSet, check_instance
from compiler.specs import (
    CompiledGateway,
    GuardrailSpec,
    NodeSpec,
    PolicySpec,
    ProviderSpec,
    RouteSpec,
    Source,
)

__all__ = ["HEADER_ROUTE_ID", "HeaderCompileResult", "compile_header_config"]

HEADER_ROUTE_ID = "<header>"
_ROUTE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_NEEDS_HOST = frozenset({"openai-compatible", "vllm", "lmstudio", "azure-openai"})


@dataclass(frozen=True)
class HeaderCompileResult:
    """A header config compiled: its route, ad-hoc providers and guardrails, and the secrets they use."""

    route: RouteSpec | None
    """The compiled route (`<header>`), or the manifest route the header named; None on errors."""
    providers: tuple[ProviderSpec, ...] = ()
    guardrails: tuple[GuardrailSpec, ...] = ()
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Inline credentials; `SecretRef(slot=i)` names `secrets[i]`. Never log these."""
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the header compiled (no error diagnostics)."""
        return self.route is not None and not any(d.severity == "error" for d in self.diagnostics)


def _fail(diags: list[Diagnostic]) -> HeaderCompileResult:
    return HeaderCompileResult(route=None, diagnostics=tuple(sorted(dict.fromkeys(diags), key=sort_key)))


def _header_diag(code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(
        code=code, severity="error", message=message, file=HEADER_FILE, line=1, col=1, pointer="", hint=hint
    )


def _route_by_id(ident: str, base: CompiledGateway) -> HeaderCompileResult:
    routes = {r.id: r for r in base.routes}
    route = routes.get(ident)
    if route is None:
        hint = suggest(ident, [r.id for r in base.routes if r.header_selectable], "selectable routes")
        return _fail([_header_diag("GW-E0303", f"unknown route `{ident}`", hint)])
    if not route.header_selectable:
        return _fail([_header_diag("GW-E0602", f"route `{ident}` cannot be selected by header")])
    return HeaderCompileResult(route=route)


def _check_hosts(doc: Document, node: RawHeaderNode, pointer: str, policy: PolicySpec) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    if node.custom_host is not None:
        problem = custom_host_problem(node.custom_host, policy.allowed_custom_hosts)
        if problem is not None:
            hint = "an operator can allow it in the policy's `allowed_custom_hosts`"
            diags.append(
                doc.diag(
                    "GW-E0605", join(pointer, "custom_host"), f"custom host refused: {problem}", hint=hint
                )
            )
    for i, child in enumerate(node.targets):
        diags += _check_hosts(doc, child, join(pointer, "targets", i), policy)
    return diags


def _root_guardrails(
    doc: Document, raw: RawHeaderNode, resolver: HeaderResolver, policy: PolicySpec
) -> tuple[tuple[str, ...], tuple[str, ...], list[Diagnostic]]:
    ins, outs, diags = resolver.hooks(doc, "", raw)
    more_in: tuple[str, ...] = ()
    more_out: tuple[str, ...] = ()
    if raw.input_guardrails:
        more_in, errs = resolver.guardrails(doc, "/input_guardrails", raw.input_guardrails, "input")
        diags += errs
    if raw.output_guardrails:
        more_out, errs = resolver.guardrails(doc, "/output_guardrails", raw.output_guardrails, "output")
        diags += errs
    route_in = dedupe(policy.enforced_input_guardrails + (ins or ()) + more_in)
    route_out = dedupe(policy.enforced_output_guardrails + (outs or ()) + more_out)
    return route_in, route_out, diags


def _check_base_urls(doc: Document, root: NodeSpec, adhoc: list[ProviderSpec]) -> list[Diagnostic]:
    """Ad-hoc providers of adapters without a public default URL need a `custom_host`."""
    by_id = {p.id: p for p in adhoc}
    internal = {shown: pointer for pointer, shown in doc.display.items()}
    diags: list[Diagnostic] = []
    for leaf in leaves(root):
        spec = by_id.get(leaf.provider)
        if spec is not None and spec.type in _NEEDS_HOST and not spec.base_url and not leaf.custom_host:
            pointer = internal.get(leaf.source.pointer, leaf.source.pointer)
            msg = f"provider `{spec.type}` needs a `custom_host` (it has no public default url)"
            diags.append(doc.diag("GW-E0607", pointer, msg, hint='add "custom_host": "https://…"'))
    return diags


def _compile_json(doc: Document, base: CompiledGateway, schemas: SchemaSet) -> HeaderCompileResult:
    diags = check_instance(doc, schemas.validator("header"), doc.data)
    if diags:
        return _fail(diags)
    raw, problems = convert_raw(doc, doc.data, RawHeaderNode)
    if raw is None:
        return _fail(problems)
    resolver = HeaderResolver(base=base, schemas=schemas)
    diags = _check_hosts(doc, raw, "", base.policy)
    route_in, route_out, errs = _root_guardrails(doc, raw, resolver, base.policy)
    root, more = TreeBuilder(doc=doc, resolver=resolver).node(raw, "", (), Inherited(), root=True)
    diags += errs + more
    if root is not None:
        diags += _check_base_urls(doc, root, resolver.adhoc_providers)
    if root is None or any(d.severity == "error" for d in diags):
        return _fail(diags)
    route = RouteSpec(
        id=HEADER_ROUTE_ID,
        root=root,
        input_guardrails=route_in,
        output_guardrails=route_out,
        deadline_ms=base.policy.default_deadline_ms,
        source=Source(file=HEADER_FILE, pointer=""),
    )
    return HeaderCompileResult(
        route=route,
        providers=tuple(resolver.adhoc_providers),
        guardrails=tuple(resolver.adhoc_guardrails),
        secrets=tuple(resolver.secrets),
        diagnostics=tuple(sorted(diags, key=sort_key)),
    )


def compile_header_config(
    text: str, base: CompiledGateway, *, schemas: SchemaSet | None = None
) -> HeaderCompileResult:
    """Compile an `x-portkey-config` value against a compiled gateway (pure; memoise by the text's hash)."""
    stripped = text.strip()
    if _ROUTE_ID.match(stripped):
        return _route_by_id(stripped, base)
    if not base.policy.header_configs:
        hint = "select a route by id instead"
        return _fail(
            [_header_diag("GW-E0601", "json header configs are disabled by the gateway policy", hint)]
        )
    if schemas is None:
        from compiler.loader import default_schemas

        schemas = default_schemas()
    doc, diags = parse_header(text)
    if doc is None or diags:
        return _fail(diags)
    try:
        return _compile_json(doc, base, schemas)
    except RecursionError:
        return _fail([_header_diag("GW-E0001", "header config nested too deeply")])
