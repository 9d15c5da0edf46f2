"""How header-config targets and guardrails resolve: manifest ids, Portkey slugs with inline keys,
shorthand guardrails and full hook objects (each inline guardrail becomes an ad-hoc GuardrailSpec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast, get_args

import msgspec

from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import closest, suggest
from compiler.document import Document
from compiler.header_checks import check_header_check
from compiler.passes.guardrails import build_check
from compiler.passes.routes import check_guardrail_refs
from compiler.pointer import join
from compiler.raw import RawHeaderNode, RawHook, RawNode
from compiler.schema import SchemaSet, json_type
from compiler.specs import AdapterType, CheckSpec, CompiledGateway, GuardrailSpec, ProviderSpec, SecretRef

__all__ = ["HeaderResolver"]

_ADAPTERS: tuple[str, ...] = get_args(AdapterType)
_SLUG_ALIASES = {
    "google": "gemini",
    "together-ai": "together",
    "mistral-ai": "mistral",
    "fireworks-ai": "fireworks",
    "perplexity-ai": "perplexity",
    "x-ai": "xai",
    "lm-studio": "lmstudio",
}
"""Portkey provider slugs whose gw adapter type is spelt differently."""
_KEYLESS = frozenset({"ollama", "vllm", "lmstudio"})
_SHORTHAND_RESERVED = frozenset(
    {"deny", "on_fail", "on_success", "async", "id", "type", "guardrail_version_id", "sequential"}
)


def _looks_secret(value: str) -> bool:
    """Tell whether a string is more likely a credential than a name (so it is never echoed)."""
    return len(value) >= 24 or value.startswith(("sk-", "sk_", "gsk_", "AIza", "xai-"))


@dataclass
class HeaderResolver:
    """Targets name manifest providers or Portkey slugs with inline keys; guardrails may be inline."""

    base: CompiledGateway
    schemas: SchemaSet
    adhoc_providers: list[ProviderSpec] = field(default_factory=list)
    adhoc_guardrails: list[GuardrailSpec] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.known = {p.id: p for p in self.base.providers}
        self.applies: dict[str, tuple[str, ...] | None] = {g.id: g.applies_to for g in self.base.guardrails}

    def _adhoc(
        self, doc: Document, pointer: str, slug: str, key: str | None, like: ProviderSpec | None
    ) -> str:
        ident = f"header:{len(self.adhoc_providers)}"
        ref = None
        if key is not None:
            ref = SecretRef(slot=len(self.secrets))
            self.secrets.append(key)
        if like is not None:
            spec = msgspec.structs.replace(like, id=ident, api_key=ref, source=doc.source(pointer))
        else:
            spec = ProviderSpec(
                id=ident, type=cast(AdapterType, slug), api_key=ref, source=doc.source(pointer)
            )
        self.adhoc_providers.append(spec)
        return ident

    def provider(self, doc: Document, pointer: str, node: RawNode) -> tuple[str | None, list[Diagnostic]]:
        """Resolve a target's provider to a manifest id or a new ad-hoc provider."""
        key = node.api_key if isinstance(node, RawHeaderNode) else None
        if node.provider is None and node.virtual_key is not None:
            if node.virtual_key in self.known:
                return node.virtual_key, []
            at = join(pointer, "virtual_key")
            return None, [doc.unknown("GW-E0301", at, "provider", node.virtual_key, self.known)]
        if node.provider is None:
            hint = "add `provider` (with `api_key`), `virtual_key`, or `strategy` + `targets`"
            return None, [doc.diag("GW-E0506", pointer, "a target needs a `provider`", hint=hint)]
        name = node.provider
        slug = _SLUG_ALIASES.get(name, name)
        if key is not None and name in self.known:
            return self._adhoc(doc, pointer, slug, key, self.known[name]), []
        if key is None and name in self.known:
            return name, []
        if slug not in _ADAPTERS and _looks_secret(name):
            msg = "`provider` looks like a credential (value not shown); put keys in `api_key`"
            return None, [doc.diag("GW-E0603", join(pointer, "provider"), msg)]
        if slug not in _ADAPTERS:
            named = suggest(name, [*self.known, *_ADAPTERS], "providers and slugs")
            return None, [
                doc.diag("GW-E0603", join(pointer, "provider"), f"unknown provider `{name}`", hint=named)
            ]
        if key is None and slug not in _KEYLESS:
            msg = f"provider `{name}` needs an `api_key` (or name a provider defined in the gateway)"
            return None, [doc.diag("GW-E0604", join(pointer, "provider"), msg)]
        return self._adhoc(doc, pointer, slug, key, None), []

    def guardrails(
        self, doc: Document, pointer: str, entries: tuple[Any, ...], where: str
    ) -> tuple[tuple[str, ...], list[Diagnostic]]:  # Any: guardrail ids or Portkey shorthand objects
        """Resolve guardrail ids and compile shorthand objects into ad-hoc guardrails."""
        ids: list[str] = []
        diags: list[Diagnostic] = []
        for i, entry in enumerate(entries):
            at = join(pointer, i)
            if isinstance(entry, str):
                diags += check_guardrail_refs(doc, pointer, (entry,), where, self.applies, indexes=(i,))
                ids.append(entry)
                continue
            ident, errs = self._shorthand(doc, at, entry, where)
            diags += errs
            if ident is not None:
                ids.append(ident)
        return tuple(ids), diags

    def _shorthand(
        self, doc: Document, pointer: str, entry: dict[str, Any], where: str
    ) -> tuple[str | None, list[Diagnostic]]:  # Any: JSON
        checks = [(join(pointer, k), k, v) for k, v in entry.items() if k not in _SHORTHAND_RESERVED]
        if not checks:
            hint = 'e.g. {"default.contains": {...}}'
            return None, [doc.diag("GW-E0102", pointer, "guardrail names no check", hint=hint)]
        diags = [
            self._not_params(doc, at, key, params)
            for at, key, params in checks
            if not isinstance(params, dict)
        ]
        deny = entry.get("deny", False)
        if not isinstance(deny, bool):
            diags.append(
                doc.diag("GW-E0103", join(pointer, "deny"), f"expected boolean, found {json_type(deny)}")
            )
        if diags:
            return None, diags
        found = [(at, key, params, at) for at, key, params in checks]
        return self._adhoc_guardrail(doc, pointer, found, where, bool(deny))

    @staticmethod
    def _not_params(doc: Document, at: str, key: str, value: Any) -> Diagnostic:  # Any: JSON
        """A shorthand key whose value is not parameters: most likely a misspelt reserved key."""
        best = closest(key, _SHORTHAND_RESERVED)
        if best is not None:
            return doc.diag("GW-E0101", at, f"unknown key `{key}`", hint=f"did you mean `{best}`?", key=True)
        return doc.diag("GW-E0103", at, f"check parameters: expected object, found {json_type(value)}")

    def _adhoc_guardrail(
        self,
        doc: Document,
        pointer: str,
        checks: list[tuple[str, str, dict[str, Any], str]],
        where: str,
        deny: bool,
    ) -> tuple[str | None, list[Diagnostic]]:  # Any: check parameters (JSON)
        specs: list[CheckSpec] = []
        diags: list[Diagnostic] = []
        allowed = self.base.policy.allowed_custom_hosts
        for at, raw_id, params, params_at in checks:
            spec, errs = build_check(doc, at, raw_id, params, self.schemas, params_at=params_at)
            diags += errs
            if spec is not None:
                diags += check_header_check(doc, params_at, spec.type, params, allowed)
            if spec is not None:
                specs.append(spec)
        if diags:
            return None, diags
        ident = f"header:{len(self.adhoc_guardrails)}"
        self.adhoc_guardrails.append(
            GuardrailSpec(
                id=ident,
                checks=tuple(specs),
                applies_to=(cast(Any, where),),
                action="deny" if deny else "flag",
                source=doc.source(pointer),
            )
        )
        return ident, []

    def _hook_list(
        self, doc: Document, pointer: str, hooks: tuple[RawHook, ...], where: str
    ) -> tuple[tuple[str, ...], list[Diagnostic]]:
        ids: list[str] = []
        diags: list[Diagnostic] = []
        for i, hook in enumerate(hooks):
            at = join(pointer, i)
            checks = [
                (join(at, "checks", j), c.id, c.parameters, join(at, "checks", j, "parameters"))
                for j, c in enumerate(hook.checks)
                if c.is_enabled
            ]
            if not checks:
                continue
            ident, errs = self._adhoc_guardrail(doc, at, checks, where, hook.deny)
            diags += errs
            if ident is not None:
                ids.append(ident)
        return tuple(ids), diags

    def models(self, provider: str) -> tuple[str, ...]:
        """Return the models a provider offers (ad-hoc providers: any)."""
        known = self.known.get(provider)
        return known.models if known is not None else ()

    def hooks(
        self, doc: Document, pointer: str, node: RawNode
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, list[Diagnostic]]:
        """Compile full hook objects into ad-hoc guardrails."""
        if not isinstance(node, RawHeaderNode):
            return None, None, []
        ins = outs = None
        diags: list[Diagnostic] = []
        if node.before_request_hooks is not None:
            ins, errs = self._hook_list(
                doc, join(pointer, "before_request_hooks"), node.before_request_hooks, "input"
            )
            diags += errs
        if node.after_request_hooks is not None:
            outs, errs = self._hook_list(
                doc, join(pointer, "after_request_hooks"), node.after_request_hooks, "output"
            )
            diags += errs
        return ins, outs, diags
