"""Fixtures: every fake provider upstream on loopback, and the real gw server in front of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar

from compiler.specs import CompiledGateway, ProviderSpec, SecretRef
from gateway.app import create_app
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.azure_upstream import API_KEY as AZURE_KEY
from tests.fakes.azure_upstream import FakeAzureOpenAI
from tests.fakes.gemini_upstream import FakeGemini
from tests.fakes.loopback import LoopbackServer, all_running
from tests.fakes.ollama_upstream import FakeOllama
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import provider
from tests.integration.gateway.server import ServeFn, serving

ENV = {
    "GW_OPENAI_KEY": "sk-openai-test",
    "GW_ANTHROPIC_KEY": "sk-ant-test",
    "GW_GEMINI_KEY": "AIza-test",
    "GW_AZURE_KEY": AZURE_KEY,
}


@pytest.fixture(scope="session")
def fakes() -> Iterator[dict[str, Any]]:
    """One fake upstream per provider type for the whole session."""
    servers: dict[str, Any] = {
        "openai": FakeOpenAI("openai"),
        "anthropic": FakeAnthropic("anthropic"),
        "gemini": FakeGemini("gemini"),
        "ollama": FakeOllama("ollama"),
        "azure": FakeAzureOpenAI("azure"),
    }
    with all_running(servers) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(fakes: dict[str, LoopbackServer | FakeOpenAI]) -> None:
    for fake in fakes.values():
        fake.reset()


@pytest.fixture
def providers(fakes: dict[str, Any]) -> dict[str, ProviderSpec]:
    """A provider spec per fake, keyed by provider id."""
    return {
        "openai": provider("openai", fakes["openai"].url, api_key=SecretRef(env="GW_OPENAI_KEY")),
        "anthropic": provider(
            "anthropic", fakes["anthropic"].url, type="anthropic", api_key=SecretRef(env="GW_ANTHROPIC_KEY")
        ),
        "gemini": provider(
            "gemini", fakes["gemini"].url, type="gemini", api_key=SecretRef(env="GW_GEMINI_KEY")
        ),
        "ollama": provider("ollama", fakes["ollama"].url, type="ollama"),
        "azure": provider(
            "azure",
            fakes["azure"].url,
            type="azure-openai",
            api_key=SecretRef(env="GW_AZURE_KEY"),
            deployments=(("gpt-4o", "gpt-4o-prod"), ("text-embedding-3-small", "embed-prod")),
        ),
    }


@pytest.fixture
def serve() -> Iterator[ServeFn]:
    """Start the real server on a compiled gateway; stopped at the end of the test."""

    def build(compiled: CompiledGateway, **kwargs: Any) -> Litestar:  # Any: create_app options
        env = {**ENV, **kwargs.pop("env", {})}
        return create_app(compiled, admin_token="admin-secret", env=env, **kwargs)

    yield from serving(build)
