"""The adapter registry: every OpenAI-compatible vendor is data served by the OpenAI adapter."""

from __future__ import annotations

from typing import get_args

from compiler.specs import AdapterType
from gateway.providers.compatible import COMPATIBLE
from gateway.providers.registry import REGISTRY, default_base_url


def test_every_compatible_vendor_is_registered() -> None:
    assert set(COMPATIBLE) <= set(REGISTRY)


def test_registry_only_names_adapter_types_the_compiler_knows() -> None:
    assert set(REGISTRY) <= set(get_args(AdapterType))


def test_default_base_urls() -> None:
    assert default_base_url("openai") == "https://api.openai.com/v1"
    assert default_base_url("groq") == "https://api.groq.com/openai/v1"
    assert default_base_url("openai-compatible") is None
    assert default_base_url("nope") is None
