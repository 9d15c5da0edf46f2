"""Fixtures: a fake Anthropic and a fake OpenAI upstream, and gw in front of them for Anthropic SDKs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from compiler.specs import SecretRef
from gateway.app import create_app
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.loopback import all_running
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import gateway, leaf, provider, route
from tests.integration.gateway.server import GatewayServer

ENV = {"GW_OPENAI_KEY": "sk-openai-test", "GW_ANTHROPIC_KEY": "sk-ant-test"}


@pytest.fixture(scope="session")
def fakes() -> Iterator[dict[str, Any]]:
    """One fake Anthropic and one fake OpenAI upstream for the session."""
    with all_running({"anthropic": FakeAnthropic("anthropic"), "openai": FakeOpenAI("openai")}) as servers:
        yield servers


@pytest.fixture(autouse=True)
def _fresh(fakes: dict[str, Any]) -> None:
    for fake in fakes.values():
        fake.reset()


@pytest.fixture
def server(fakes: dict[str, Any]) -> Iterator[GatewayServer]:
    """gw with a route to each fake: `claude` (Anthropic, strict), `claude-lenient` (Anthropic with
    `strict_openai_compliance: false`), `gpt` (OpenAI, translated) and `gpt-lenient`."""
    providers = [
        provider(
            "claude", fakes["anthropic"].url, type="anthropic", api_key=SecretRef(env="GW_ANTHROPIC_KEY")
        ),
        provider("gpt", fakes["openai"].url, api_key=SecretRef(env="GW_OPENAI_KEY")),
    ]
    routes = [
        route("claude", leaf("config", "claude")),
        route("claude-lenient", leaf("config", "claude", strict_openai_compliance=False)),
        route("gpt", leaf("config", "gpt")),
        route("gpt-lenient", leaf("config", "gpt", strict_openai_compliance=False)),
    ]
    app = create_app(gateway(providers, routes), admin_token="admin-secret", env=ENV)
    with GatewayServer(app) as started:
        yield started


def _anthropic_sdk(server: GatewayServer, route: str) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=server.base, api_key="unused", max_retries=0, default_headers={"x-portkey-config": route}
    ) as sdk:
        yield sdk


@pytest.fixture
def client(server: GatewayServer) -> Iterator[anthropic.Anthropic]:
    """A sync Anthropic SDK client for route `claude` (retries off)."""
    yield from _anthropic_sdk(server, "claude")


@pytest.fixture
def openai_routed(server: GatewayServer) -> Iterator[anthropic.Anthropic]:
    """A sync Anthropic SDK client for route `gpt`: Anthropic requests translated to OpenAI."""
    yield from _anthropic_sdk(server, "gpt")


@pytest.fixture
def lenient(server: GatewayServer) -> Iterator[anthropic.Anthropic]:
    """A sync Anthropic SDK client for route `claude-lenient` (Anthropic-only fields reach Anthropic)."""
    yield from _anthropic_sdk(server, "claude-lenient")


@pytest.fixture
def openai_lenient(server: GatewayServer) -> Iterator[anthropic.Anthropic]:
    """A sync Anthropic SDK client for route `gpt-lenient` (OpenAI target, fields passed through)."""
    yield from _anthropic_sdk(server, "gpt-lenient")
