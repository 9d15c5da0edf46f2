"""Cost of a call from normalised usage and the compiled `pricing` manifests.

Token classes follow `gateway.usage.Usage`: `prompt_tokens` already includes cached-read and
cache-write tokens, `completion_tokens` already includes reasoning tokens, so each class is priced
once:

    uncached input = prompt - cached_read - cache_write      at `input`
    cached read                                              at `cached_input` (else `input`)
    cache write                                              at `cache_write`  (else `input`)
    visible output = completion - reasoning                  at `output`
    reasoning                                                at `reasoning`    (else `output`)

Arithmetic is decimal and rounded up to whole nanodollars. A model without a price costs `None`:
the caller records it as unknown and counts it, never as a silent 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from compiler.specs import PriceSpec
from gateway.limits.nanodollars import from_nanos, to_nanos_ceil
from gateway.usage import Usage

__all__ = ["CostCalculator", "model_candidates", "undated"]

# Suffixes that name a snapshot of a model rather than another model: -2024-08-06, -20241022,
# -0613, -002, -latest, @20240620 (Vertex).
_DATED_SUFFIX = re.compile(r"[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|latest)$")
_PER_MILLION = Decimal(1_000_000)
_MEMO_LIMIT = 4096


class _Rates(NamedTuple):
    """USD per token for each class, as exact decimals."""

    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write: Decimal
    reasoning: Decimal


def _rate(per_million: float) -> Decimal:
    return Decimal(repr(per_million)) / _PER_MILLION


def _rates(spec: PriceSpec) -> _Rates:
    def or_(value: float | None, fallback: float) -> Decimal:
        return _rate(fallback if value is None else value)

    return _Rates(
        input=_rate(spec.input),
        output=_rate(spec.output),
        cached_input=or_(spec.cached_input, spec.input),
        cache_write=or_(spec.cache_write, spec.input),
        reasoning=or_(spec.reasoning, spec.output),
    )


def undated(model: str) -> str:
    """Strip snapshot suffixes: `gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-sonnet-20241022` → …-sonnet."""
    while (m := _DATED_SUFFIX.search(model)) is not None and m.start() > 0:
        model = model[: m.start()]
    return model


def model_candidates(model: str) -> Iterator[str]:
    """Yield the names a model may be priced under, most specific first.

    The exact name; then the name with snapshot suffixes removed (`gpt-4o-2024-08-06` → `gpt-4o`);
    then ever shorter prefixes at `-` boundaries (`gpt-4o-search` → `gpt-4o`); then the same for the
    part after a vendor prefix (`openai/gpt-4o`, `models/gemini-1.5-pro`).
    """
    seen: set[str] = set()
    names = [model]
    if "/" in model:
        names.append(model.rsplit("/", 1)[1])
    for name in names:
        plain = undated(name)
        parts = plain.split("-")
        for candidate in (name, plain, *("-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1))):
            if candidate and candidate not in seen:
                seen.add(candidate)
                yield candidate


class CostCalculator:
    """Prices usage with the compiled price list; one instance per compiled gateway."""

    def __init__(self, prices: Iterable[PriceSpec]) -> None:
        self._rates: dict[tuple[str, str], _Rates] = {}
        for spec in prices:
            self._rates[(spec.provider_type, spec.model)] = _rates(spec)
        self._memo: dict[tuple[str, str], _Rates | None] = {}

    def _lookup(self, provider_type: str, model: str) -> _Rates | None:
        memo_key = (provider_type, model)
        if memo_key in self._memo:
            return self._memo[memo_key]
        found: _Rates | None = None
        for candidate in model_candidates(model):
            found = self._rates.get((provider_type, candidate)) or self._rates.get(("*", candidate))
            if found is not None:
                break
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo_key] = found
        return found

    def has_price(self, provider_type: str, model: str) -> bool:
        """Say whether the model (or an alias of it) has a price for this provider type."""
        return self._lookup(provider_type, model) is not None

    def cost_nanos(self, provider_type: str, model: str, usage: Usage) -> int | None:
        """Return the cost in nanodollars, or None when the model has no price."""
        rates = self._lookup(provider_type, model)
        if rates is None:
            return None
        cached = max(0, usage.cached_read_tokens)
        written = max(0, usage.cache_write_tokens)
        uncached = max(0, usage.prompt_tokens - cached - written)
        reasoning = max(0, usage.reasoning_tokens)
        visible = max(0, usage.completion_tokens - reasoning)
        total = (
            uncached * rates.input
            + cached * rates.cached_input
            + written * rates.cache_write
            + visible * rates.output
            + reasoning * rates.reasoning
        )
        return to_nanos_ceil(total)

    def cost(self, provider_type: str, model: str, usage: Usage) -> float | None:
        """Return the cost in USD, or None when the model has no price (never a silent 0)."""
        nanos = self.cost_nanos(provider_type, model, usage)
        return None if nanos is None else from_nanos(nanos)

    def max_cost_nanos(
        self, provider_type: str, model: str, prompt_tokens: int, max_output_tokens: int
    ) -> int | None:
        """Return the most a call can cost: every input token at the dearest input class, every output
        token at the dearest output class; None when the model has no price."""
        rates = self._lookup(provider_type, model)
        if rates is None:
            return None
        input_rate = max(rates.input, rates.cache_write)
        output_rate = max(rates.output, rates.reasoning)
        return to_nanos_ceil(max(0, prompt_tokens) * input_rate + max(0, max_output_tokens) * output_rate)
