"""Which targets of a strategy can ever be used: conditional names, weights, fallback chains."""

from __future__ import annotations

from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.document import Document
from compiler.pointer import join
from compiler.raw import RawNode, RawStrategy
from compiler.specs import ConditionSpec

__all__ = ["check_reachability", "resolve_target"]


def resolve_target(
    doc: Document, pointer: str, name: str, names: dict[str, int]
) -> tuple[int | None, list[Diagnostic]]:
    """Resolve a conditional `then`/`default` target name to its index."""
    if name in names:
        return names[name], []
    hint = suggest(name, names, "target names") or "give the targets a `name:`"
    return None, [doc.diag("GW-E0304", pointer, f"no target is named `{name}`", hint=hint)]


def _unreachable(doc: Document, pointer: str, i: int, why: str, hint: str | None = None) -> Diagnostic:
    return doc.diag("GW-W0901", join(pointer, "targets", i), f"target {i} is unreachable: {why}", hint=hint)


def check_reachability(
    doc: Document,
    raw: RawNode,
    strategy: RawStrategy,
    pointer: str,
    conditions: tuple[ConditionSpec, ...],
    default: int | None,
) -> list[Diagnostic]:
    """Report all-zero loadbalance weights (error) and targets no request can reach (warnings)."""
    count = len(raw.targets)
    mode = strategy.mode
    if mode == "loadbalance":
        weights = [t.weight if t.weight is not None else 1.0 for t in raw.targets]
        if not any(weights):
            hint = "give at least one target a positive `weight`"
            return [
                doc.diag("GW-E0501", join(pointer, "targets"), "every loadbalance weight is 0", hint=hint)
            ]
        return [_unreachable(doc, pointer, i, "its weight is 0") for i, w in enumerate(weights) if w == 0]
    if mode == "single":
        hint = "`single` uses only the first target; use `fallback` or remove the others"
        return [_unreachable(doc, pointer, i, "mode `single` uses targets[0]", hint) for i in range(1, count)]
    if mode == "fallback" and strategy.on_status_codes == ():
        hint = "an empty `on_status_codes` never falls through; remove it to fall back on any failure"
        return [_unreachable(doc, pointer, i, "the fallback never moves on", hint) for i in range(1, count)]
    if mode == "conditional" and conditions:
        used = {c.then for c in conditions} | ({default} if default is not None else set())
        hint = "name it in a condition's `then` or in `default`"
        return [
            _unreachable(doc, pointer, i, "no condition selects it", hint)
            for i in range(count)
            if i not in used
        ]
    return []
