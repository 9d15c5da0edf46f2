"""Budgets and prices: BudgetSpecs with their scopes checked, PriceSpecs without duplicates."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.diagnostics import Diagnostic
from compiler.passes.kinds import Entry, build_each
from compiler.pointer import join
from compiler.raw import RawBudget, RawPricing
from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec

__all__ = ["build_budgets", "build_prices"]


def _budget(
    entry: Entry, raw: RawBudget, refs: Mapping[str, Mapping[str, object]]
) -> tuple[BudgetSpec, list[Diagnostic]]:
    doc = entry.doc
    diags: list[Diagnostic] = []
    if raw.limit_usd is None and raw.requests_per_minute is None and raw.tokens_per_minute is None:
        hint: str | None = "set `limit_usd`, `requests_per_minute` or `tokens_per_minute`"
        diags.append(doc.diag("GW-E0509", "", "budget sets no limit", hint=hint))
    scope = raw.scope
    if scope.kind in ("route", "provider") and scope.value not in refs[scope.kind]:
        code = "GW-E0303" if scope.kind == "route" else "GW-E0301"
        diags.append(doc.unknown(code, "/scope/value", scope.kind, scope.value, refs[scope.kind]))
    spec = BudgetSpec(
        id=raw.id,
        scope=ScopeSpec(kind=scope.kind, value=scope.value, metadata_key=scope.metadata_key),
        period=raw.period,
        limit_usd=raw.limit_usd,
        requests_per_minute=raw.requests_per_minute,
        tokens_per_minute=raw.tokens_per_minute,
        action=raw.action,
        default_reservation_usd=raw.default_reservation_usd,
        source=doc.source(""),
    )
    return spec, diags


def build_budgets(
    entries: list[Entry], refs: Mapping[str, Mapping[str, object]]
) -> tuple[list[BudgetSpec], list[Diagnostic]]:
    """Compile every valid budget; `refs` maps `route`/`provider` to the defined ids."""
    return build_each(entries, RawBudget, lambda entry, raw: _budget(entry, raw, refs))


def build_prices(entries: list[Entry]) -> tuple[list[PriceSpec], list[Diagnostic]]:
    """Compile every pricing manifest; a (provider type, model) pair may be priced once."""
    specs: dict[tuple[str, str], PriceSpec] = {}
    diags: list[Diagnostic] = []
    for entry in entries:
        if entry.kind != "pricing" or not isinstance(entry.raw, RawPricing):
            continue
        raw: RawPricing = entry.raw
        for i, price in enumerate(raw.models):
            where = join("/models", i)
            ptype = price.provider_type or raw.provider_type
            key = (ptype, price.model)
            if key in specs:
                msg = f"model `{price.model}` ({ptype}) is priced twice"
                note = f"first priced at {specs[key].source}"
                diags.append(entry.doc.diag("GW-E0204", join(where, "model"), msg, notes=(note,)))
                continue
            specs[key] = PriceSpec(
                model=price.model,
                provider_type=ptype,
                input=price.input,
                output=price.output,
                cached_input=price.cached_input,
                cache_write=price.cache_write,
                reasoning=price.reasoning,
                source=entry.doc.source(where),
            )
    return [specs[k] for k in sorted(specs)], diags
