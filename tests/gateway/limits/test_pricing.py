"""Cost from normalised usage: golden figures per provider, alias lookup, unknown models."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.specs import PriceSpec, Source
from gateway.limits.pricing import CostCalculator, model_candidates, undated
from gateway.usage import Usage

SRC = Source(file="pricing/models.yaml", line=1, col=1)


def price(model: str, **kw: Any) -> PriceSpec:
    return PriceSpec(model=model, source=SRC, **kw)


PRICES = (
    price("gpt-4o", input=2.50, cached_input=1.25, output=10.00),
    price("gpt-4o-mini", input=0.15, cached_input=0.075, output=0.60),
    price("o3-mini", input=1.10, cached_input=0.55, output=4.40),
    price(
        "claude-3-5-sonnet",
        provider_type="anthropic",
        input=3.00,
        cache_write=3.75,
        cached_input=0.30,
        output=15.00,
    ),
    price("gemini-2.5-flash", input=0.30, cached_input=0.075, output=2.50),
    price("gpt-4o", provider_type="azure-openai", input=2.75, cached_input=1.375, output=11.00),
)


@pytest.fixture
def costs() -> CostCalculator:
    return CostCalculator(PRICES)


# Usage built from each provider's wire payload the way its adapter does: prompt_tokens includes
# cached-read and cache-write tokens, completion_tokens includes reasoning tokens.


def openai_usage(wire: dict[str, Any]) -> Usage:
    details = wire.get("prompt_tokens_details") or {}
    out_details = wire.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=wire["prompt_tokens"],
        completion_tokens=wire["completion_tokens"],
        cached_read_tokens=details.get("cached_tokens", 0),
        reasoning_tokens=out_details.get("reasoning_tokens", 0),
    )


def anthropic_usage(wire: dict[str, Any]) -> Usage:
    read = wire.get("cache_read_input_tokens") or 0
    written = wire.get("cache_creation_input_tokens") or 0
    return Usage(
        prompt_tokens=wire["input_tokens"] + read + written,
        completion_tokens=wire["output_tokens"],
        cached_read_tokens=read,
        cache_write_tokens=written,
    )


def gemini_usage(wire: dict[str, Any]) -> Usage:
    thoughts = wire.get("thoughtsTokenCount", 0)
    return Usage(
        prompt_tokens=wire["promptTokenCount"],
        completion_tokens=wire.get("candidatesTokenCount", 0) + thoughts,
        cached_read_tokens=wire.get("cachedContentTokenCount", 0),
        reasoning_tokens=thoughts,
    )


def test_openai_cached_prompt_is_priced_at_the_cached_rate(costs: CostCalculator) -> None:
    wire = {
        "prompt_tokens": 1200,
        "completion_tokens": 250,
        "total_tokens": 1450,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    # 176 × 2.50 + 1024 × 1.25 + 250 × 10.00 = 4220 per million
    assert costs.cost("openai", "gpt-4o-2024-08-06", openai_usage(wire)) == pytest.approx(0.004220, abs=1e-12)


def test_openai_reasoning_tokens_are_billed_once_as_output(costs: CostCalculator) -> None:
    wire = {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920},
        "completion_tokens_details": {"reasoning_tokens": 192, "accepted_prediction_tokens": 0},
    }
    # 86 × 1.10 + 1920 × 0.55 + (108 + 192) × 4.40 = 2470.6 per million
    assert costs.cost_nanos("openai", "o3-mini-2025-01-31", openai_usage(wire)) == 2_470_600


def test_anthropic_cache_write_and_read_are_priced_separately(costs: CostCalculator) -> None:
    write = {
        "input_tokens": 21,
        "cache_creation_input_tokens": 188086,
        "cache_read_input_tokens": 0,
        "output_tokens": 393,
    }
    read = {
        "input_tokens": 21,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 188086,
        "output_tokens": 393,
    }
    model = "claude-3-5-sonnet-20241022"
    # 21 × 3 + 188086 × 3.75 + 393 × 15 = 711280.5 per million
    assert costs.cost_nanos("anthropic", model, anthropic_usage(write)) == 711_280_500
    # 21 × 3 + 188086 × 0.30 + 393 × 15 = 62383.8 per million
    assert costs.cost_nanos("anthropic", model, anthropic_usage(read)) == 62_383_800


def test_gemini_cached_content_and_thoughts(costs: CostCalculator) -> None:
    wire = {
        "promptTokenCount": 5200,
        "candidatesTokenCount": 420,
        "totalTokenCount": 6620,
        "cachedContentTokenCount": 4096,
        "thoughtsTokenCount": 1000,
    }
    usage = gemini_usage(wire)
    assert usage.total_tokens == wire["totalTokenCount"]
    # 1104 × 0.30 + 4096 × 0.075 + 420 × 2.50 + 1000 × 2.50 = 4188.4 per million
    assert costs.cost_nanos("gemini", "gemini-2.5-flash", usage) == 4_188_400


def test_separate_reasoning_price_applies_only_to_reasoning_tokens() -> None:
    costs = CostCalculator([price("thinker", input=1.0, output=2.0, reasoning=8.0)])
    usage = Usage(prompt_tokens=1000, completion_tokens=500, reasoning_tokens=400)
    # 1000 × 1 + 100 × 2 + 400 × 8 = 4400 per million
    assert costs.cost_nanos("openai", "thinker", usage) == 4_400_000


def test_unknown_model_costs_none_not_zero(costs: CostCalculator) -> None:
    assert costs.cost("openai", "llama-3-70b", Usage(prompt_tokens=10, completion_tokens=10)) is None
    assert costs.max_cost_nanos("openai", "llama-3-70b", 10, 10) is None
    assert not costs.has_price("openai", "llama-3-70b")


def test_zero_usage_of_a_priced_model_costs_exactly_zero(costs: CostCalculator) -> None:
    assert costs.cost("openai", "gpt-4o", Usage()) == 0.0


def test_provider_specific_price_wins_over_wildcard(costs: CostCalculator) -> None:
    usage = Usage(prompt_tokens=1_000_000)
    assert costs.cost("azure-openai", "gpt-4o", usage) == pytest.approx(2.75)
    assert costs.cost("openai", "gpt-4o", usage) == pytest.approx(2.50)


def test_provider_specific_price_does_not_apply_to_other_providers(costs: CostCalculator) -> None:
    assert costs.cost("openrouter", "claude-3-5-sonnet-20241022", Usage(prompt_tokens=1)) is None


def test_dated_snapshot_uses_its_model_price_not_a_sibling(costs: CostCalculator) -> None:
    usage = Usage(prompt_tokens=1_000_000)
    assert costs.cost("openai", "gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.15)
    assert costs.cost("openai", "gpt-4o-2024-11-20", usage) == pytest.approx(2.50)


def test_vendor_prefixed_model_falls_back_to_the_bare_name(costs: CostCalculator) -> None:
    assert costs.cost("openrouter", "openai/gpt-4o", Usage(prompt_tokens=1_000_000)) == pytest.approx(2.50)


@pytest.mark.parametrize(
    ("model", "plain"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("gpt-4-0613", "gpt-4"),
        ("gemini-1.5-pro-002", "gemini-1.5-pro"),
        ("claude-3-opus@20240229", "claude-3-opus"),
        ("gpt-4o", "gpt-4o"),
    ],
)
def test_undated_strips_snapshot_suffixes(model: str, plain: str) -> None:
    assert undated(model) == plain


def test_candidates_go_from_exact_to_shorter_prefixes() -> None:
    assert list(model_candidates("gpt-4o-search-preview-2025-03-11")) == [
        "gpt-4o-search-preview-2025-03-11",
        "gpt-4o-search-preview",
        "gpt-4o-search",
        "gpt-4o",
        "gpt",
    ]


def test_max_cost_prices_every_token_at_the_dearest_class(costs: CostCalculator) -> None:
    # Anthropic: input may be a cache write (3.75), output 15: 1000 × 3.75 + 200 × 15 = 6750 per million
    assert costs.max_cost_nanos("anthropic", "claude-3-5-sonnet-latest", 1000, 200) == 6_750_000
