"""OpenAI-compatible vendors as data: their adapter type, default base URL and quirks."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMPATIBLE", "OPENAI_BASE_URL", "Vendor"]

OPENAI_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True, slots=True)
class Vendor:
    """An OpenAI-compatible vendor: where it lives and what it supports."""

    label: str
    base_url: str | None
    """None: the provider manifest must give `base_url` (self-hosted servers without a default)."""
    stream_usage: bool = True
    """Whether the vendor understands `stream_options.include_usage`."""


COMPATIBLE: dict[str, Vendor] = {
    "openai": Vendor("openai", OPENAI_BASE_URL),
    "openai-compatible": Vendor("openai-compatible", None, stream_usage=False),
    "groq": Vendor("groq", "https://api.groq.com/openai/v1"),
    "together": Vendor("together", "https://api.together.xyz/v1"),
    "mistral": Vendor("mistral", "https://api.mistral.ai/v1", stream_usage=False),
    "deepseek": Vendor("deepseek", "https://api.deepseek.com/v1"),
    "openrouter": Vendor("openrouter", "https://openrouter.ai/api/v1"),
    "fireworks": Vendor("fireworks", "https://api.fireworks.ai/inference/v1"),
    "perplexity": Vendor("perplexity", "https://api.perplexity.ai", stream_usage=False),
    "xai": Vendor("xai", "https://api.x.ai/v1"),
    "vllm": Vendor("vllm", "http://localhost:8000/v1"),
    "lmstudio": Vendor("lmstudio", "http://localhost:1234/v1", stream_usage=False),
}
"""Adapter type → vendor facts; every entry is served by `OpenAIAdapter`."""
