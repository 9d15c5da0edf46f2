"""The explicit adapter registry: adapter type → how to build it and where it lives by default.

Provider packages add their entry here (one line each); the gateway links a `ProviderSpec` by looking
its `type` up once at link time, never per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from compiler.specs import ProviderSpec
from gateway.providers.anthropic.adapter import DEFAULT_BASE_URL as ANTHROPIC_URL
from gateway.providers.anthropic.adapter import AnthropicAdapter
from gateway.providers.azure.adapter import AzureOpenAIAdapter
from gateway.providers.base import ProviderAdapter
from gateway.providers.compatible import COMPATIBLE, Vendor
from gateway.providers.gemini.adapter import DEFAULT_BASE_URL as GEMINI_URL
from gateway.providers.gemini.adapter import GeminiAdapter
from gateway.providers.ollama.adapter import DEFAULT_BASE_URL as OLLAMA_URL
from gateway.providers.ollama.adapter import OllamaAdapter
from gateway.providers.openai import OpenAIAdapter
from gateway.providers.transport import HttpTransport

__all__ = ["REGISTRY", "AdapterEntry", "AdapterFactory", "build_adapter", "default_base_url"]

AdapterFactory = Callable[[ProviderSpec, HttpTransport], ProviderAdapter]


@dataclass(frozen=True, slots=True)
class AdapterEntry:
    """How to build one adapter type."""

    factory: AdapterFactory
    base_url: str | None
    """Default base URL (None: the provider spec must give one)."""


def _compatible(vendor: Vendor) -> AdapterEntry:
    def factory(spec: ProviderSpec, transport: HttpTransport) -> ProviderAdapter:
        return OpenAIAdapter(spec, transport, label=vendor.label, stream_usage=vendor.stream_usage)

    return AdapterEntry(factory=factory, base_url=vendor.base_url)


REGISTRY: dict[str, AdapterEntry] = {name: _compatible(vendor) for name, vendor in COMPATIBLE.items()}
"""Adapter type → entry. Other provider packages register here: `REGISTRY["anthropic"] = ...`."""
REGISTRY["anthropic"] = AdapterEntry(factory=AnthropicAdapter, base_url=ANTHROPIC_URL)
REGISTRY["gemini"] = AdapterEntry(factory=GeminiAdapter, base_url=GEMINI_URL)
REGISTRY["ollama"] = AdapterEntry(factory=OllamaAdapter, base_url=OLLAMA_URL)
REGISTRY["azure-openai"] = AdapterEntry(factory=AzureOpenAIAdapter, base_url=None)


def default_base_url(adapter_type: str) -> str | None:
    """The adapter type's default base URL, or None when it has none (or is unknown)."""
    entry = REGISTRY.get(adapter_type)
    return entry.base_url if entry else None


def build_adapter(spec: ProviderSpec, transport: HttpTransport) -> ProviderAdapter:
    """Build the adapter for a provider spec; KeyError names an unregistered type."""
    return REGISTRY[spec.type].factory(spec, transport)
