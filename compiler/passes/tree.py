"""Routing trees: a raw node tree becomes StrategySpec/LeafSpec nodes with inheritance resolved.

The same builder serves route manifests and header configs; what differs (how a target names its
provider, what a guardrail entry may be) comes in as a `Resolver`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import msgspec

from compiler.canonical import canonical_json
from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.document import Document
from compiler.passes.conditions import build_query
from compiler.passes.inherit import Inherited, inherit
from compiler.passes.reach import check_reachability, resolve_target
from compiler.pointer import join, portkey_path
from compiler.raw import RawNode, RawStrategy
from compiler.specs import ConditionSpec, LeafSpec, NodeSpec, StrategySpec

__all__ = ["Resolver", "TreeBuilder", "dedupe"]


class Resolver(Protocol):
    """What differs between manifests and header configs."""

    def provider(self, doc: Document, pointer: str, node: RawNode) -> tuple[str | None, list[Diagnostic]]:
        """Return the provider id a leaf calls."""
        ...

    def guardrails(
        self, doc: Document, pointer: str, entries: tuple[Any, ...], where: str
    ) -> tuple[tuple[str, ...], list[Diagnostic]]:  # Any: a guardrail id, or a header shorthand object
        """Return guardrail ids for `input_guardrails`/`output_guardrails` entries."""
        ...

    def models(self, provider: str) -> tuple[str, ...]:
        """Return the models a provider offers (empty: any)."""
        ...

    def hooks(
        self, doc: Document, pointer: str, node: RawNode
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, list[Diagnostic]]:
        """Return the input and output hook guardrails a node sets (None: inherited; header configs only)."""
        ...


def dedupe(ids: tuple[str, ...]) -> tuple[str, ...]:
    """Drop repeated ids, keeping the first occurrence."""
    return tuple(dict.fromkeys(ids))


@dataclass
class TreeBuilder:
    """Build one routing tree from its root node."""

    doc: Document
    resolver: Resolver

    def node(
        self, raw: RawNode, pointer: str, indexes: tuple[int, ...], up: Inherited, *, root: bool = False
    ) -> tuple[NodeSpec | None, list[Diagnostic]]:
        """Compile a node and its subtree; `root` keeps the root's own guardrails off the leaves."""
        here, diags = inherit(self.doc, pointer, raw, up)
        if not root:
            ins, outs, errs = self.resolver.hooks(self.doc, pointer, raw)
            here = replace(
                here,
                input_hooks=here.input_hooks if ins is None else ins,
                output_hooks=here.output_hooks if outs is None else outs,
            )
            here, more = self._append_guardrails(pointer, raw, here)
            diags += errs + more
        if raw.strategy is not None and raw.targets:
            strategy, errs = self._strategy(raw, raw.strategy, pointer, indexes, here)
            return strategy, diags + errs
        if raw.strategy is not None or raw.targets:
            missing = "targets" if raw.strategy is not None else "strategy"
            hint = "add `targets: [...]`" if missing == "targets" else "add `strategy: {mode: fallback}`"
            msg = f"`{'strategy' if missing == 'targets' else 'targets'}` without `{missing}`"
            return None, [*diags, self.doc.diag("GW-E0506", pointer, msg, hint=hint)]
        leaf, errs = self._leaf(raw, pointer, indexes, here)
        return leaf, diags + errs

    def _append_guardrails(
        self, pointer: str, raw: RawNode, here: Inherited
    ) -> tuple[Inherited, list[Diagnostic]]:
        diags: list[Diagnostic] = []
        if raw.input_guardrails:
            ids, errs = self.resolver.guardrails(
                self.doc, join(pointer, "input_guardrails"), raw.input_guardrails, "input"
            )
            here, diags = replace(here, input_guardrails=here.input_guardrails + ids), diags + errs
        if raw.output_guardrails:
            ids, errs = self.resolver.guardrails(
                self.doc, join(pointer, "output_guardrails"), raw.output_guardrails, "output"
            )
            here, diags = replace(here, output_guardrails=here.output_guardrails + ids), diags + errs
        return here, diags

    def _leaf(
        self, raw: RawNode, pointer: str, indexes: tuple[int, ...], here: Inherited
    ) -> tuple[LeafSpec | None, list[Diagnostic]]:
        provider, diags = self.resolver.provider(self.doc, pointer, raw)
        if provider is None:
            return None, diags
        diags += self._check_model(raw, pointer, provider, here.override_params.get("model"))
        spec = LeafSpec(
            path=portkey_path(indexes),
            provider=provider,
            name=raw.name,
            weight=raw.weight if raw.weight is not None else 1.0,
            override_params=canonical_json(here.override_params),
            request_timeout_ms=here.request_timeout_ms,
            cache=here.cache,
            custom_host=here.custom_host,
            forward_headers=here.forward_headers,
            strict_openai_compliance=here.strict,
            input_guardrails=dedupe(here.input_hooks + here.input_guardrails),
            output_guardrails=dedupe(here.output_hooks + here.output_guardrails),
            circuit_breaker=here.circuit_breaker,
            source=self.doc.source(pointer),
        )
        if here.retry is not None:
            spec = msgspec.structs.replace(spec, retry=here.retry)
        return spec, diags

    def _strategy(
        self, raw: RawNode, strategy: RawStrategy, pointer: str, indexes: tuple[int, ...], here: Inherited
    ) -> tuple[StrategySpec | None, list[Diagnostic]]:
        diags: list[Diagnostic] = []
        children: list[NodeSpec] = []
        for i, target in enumerate(raw.targets):
            child, errs = self.node(target, join(pointer, "targets", i), (*indexes, i), here)
            diags += errs
            if child is not None:
                children.append(child)
        names, errs = self._names(raw, pointer)
        diags += errs
        conditions, default, errs = self._conditions(strategy, pointer, names)
        diags += errs
        if not any(d.severity == "error" for d in diags):
            diags += check_reachability(self.doc, raw, strategy, pointer, conditions, default)
        if len(children) != len(raw.targets) or any(d.severity == "error" for d in diags):
            return None, diags
        spec = StrategySpec(
            path=portkey_path(indexes),
            mode=strategy.mode,
            targets=tuple(children),
            name=raw.name,
            weight=raw.weight if raw.weight is not None else 1.0,
            on_status_codes=strategy.on_status_codes,
            conditions=conditions,
            default=default,
            source=self.doc.source(pointer),
        )
        return spec, diags

    def _names(self, raw: RawNode, pointer: str) -> tuple[dict[str, int], list[Diagnostic]]:
        names: dict[str, int] = {}
        diags: list[Diagnostic] = []
        for i, target in enumerate(raw.targets):
            if target.name is None:
                continue
            if target.name in names:
                where = join(pointer, "targets", i, "name")
                first = self.doc.where(join(pointer, "targets", names[target.name], "name"))
                msg = f"two targets are named `{target.name}`"
                diags.append(self.doc.diag("GW-E0203", where, msg, notes=(f"first named at {first}",)))
                continue
            names[target.name] = i
        return names, diags

    def _conditions(
        self, strategy: RawStrategy, pointer: str, names: dict[str, int]
    ) -> tuple[tuple[ConditionSpec, ...], int | None, list[Diagnostic]]:
        diags: list[Diagnostic] = []
        out: list[ConditionSpec] = []
        at = join(pointer, "strategy")
        if strategy.mode == "conditional" and not strategy.conditions:
            hint = "add `conditions: [{query: {...}, then: <target name>}]`"
            diags.append(self.doc.diag("GW-E0507", at, "conditional strategy without conditions", hint=hint))
        for i, cond in enumerate(strategy.conditions):
            where = join(at, "conditions", i)
            query, errs = build_query(self.doc, join(where, "query"), cond.query)
            then, more = resolve_target(self.doc, join(where, "then"), cond.then, names)
            diags += errs + more
            if query is not None and then is not None:
                out.append(ConditionSpec(query=query, then=then, source=self.doc.source(where)))
        default = None
        if strategy.default is not None:
            default, errs = resolve_target(self.doc, join(at, "default"), strategy.default, names)
            diags += errs
        return tuple(out), default, diags

    def _check_model(self, raw: RawNode, pointer: str, provider: str, model: object) -> list[Diagnostic]:
        offered = self.resolver.models(provider)
        if not isinstance(model, str) or not offered or model in offered:
            return []
        own = raw.override_params is not None and "model" in raw.override_params
        where = join(pointer, "override_params", "model") if own else pointer
        hint = suggest(model, offered, f"`{provider}` offers")
        return [
            self.doc.diag(
                "GW-E0512", where, f"provider `{provider}` does not offer model `{model}`", hint=hint
            )
        ]
