"""Bounded label values: the ids one compiled gateway defines, and `other` for everything else."""

from __future__ import annotations

from collections.abc import Iterable

from compiler.specs import CompiledGateway, LeafSpec, NodeSpec

__all__ = ["OTHER", "LabelSets"]

OTHER = "other"
"""The label value every unknown id is folded to."""


def _leaf_paths(node: NodeSpec) -> Iterable[str]:
    if isinstance(node, LeafSpec):
        yield node.path
        return
    for child in node.targets:
        yield from _leaf_paths(child)


class LabelSets:
    """The label values allowed by one compiled gateway; everything else becomes `other`."""

    def __init__(self, gateway: CompiledGateway | None = None) -> None:
        g = gateway or CompiledGateway()
        self.routes = frozenset(r.id for r in g.routes)
        self.providers = frozenset(p.id for p in g.providers)
        models = {m for p in g.providers for m in p.models}
        models.update(p.default_model for p in g.providers if p.default_model)
        models.update(p.model for p in g.pricing if "*" not in p.model)
        self.models = frozenset(models)
        self.budgets = frozenset(b.id for b in g.budgets)
        self.guardrails = frozenset(x.id for x in g.guardrails)
        self.targets = frozenset(p for r in g.routes for p in _leaf_paths(r.root))

    @staticmethod
    def fold(value: str | None, allowed: frozenset[str]) -> str:
        """Return the value when it is a compiled id, else `other`."""
        return value if value is not None and value in allowed else OTHER
