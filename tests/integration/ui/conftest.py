"""Fixtures for the console tests: a compiled manifest directory served by the real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import compile_paths
from compiler.specs import CompiledGateway
from gateway.app.wiring import Wiring
from gateway.telemetry import ConsoleFeed, Metrics, Telemetry
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.conftest import ServeFn, _fresh_upstreams, serve, upstreams
from tests.integration.gateway.server import GatewayServer

__all__ = ["_fresh_upstreams", "serve", "upstreams"]

ROUTES = """\
kind: route
id: chat
description: General chat; b answers when a fails.
input_guardrails: [polite]
strategy:
  mode: fallback
  on_status_codes: [500, 502, 503]
targets:
  - provider: a
    override_params: {model: gpt-4o-mini}
  - provider: b
    override_params: {model: gpt-4o-mini}
---
kind: route
id: solo
description: One upstream behind a response cache.
provider: c
cache: {mode: simple, max_age: 600}
"""
OTHERS = """\
kind: pricing
id: test_prices
provider_type: openai
models:
  - {model: gpt-4o-mini, input: 150, output: 600}
---
kind: budget
id: everyone
scope: {kind: global}
period: monthly
limit_usd: 1000
action: deny
---
kind: budget
id: tiny_rate
scope: {kind: route, value: tiny}
requests_per_minute: 1
---
kind: route
id: tiny
description: One request a minute.
provider: c
---
kind: guardrail
id: polite
description: Flag abusive requests.
action: flag
applies_to: [input]
checks:
  - type: keywords
    parameters:
      lists:
        - {name: abuse, severity: high, words: [idiot]}
"""


def _providers(upstreams: dict[str, FakeOpenAI]) -> str:
    docs = [
        f"kind: provider\nid: {name}\ntype: openai\nbase_url: {fake.url}\napi_key: {{env: GW_TEST_KEY}}\n"
        for name, fake in sorted(upstreams.items())
    ]
    return "---\n".join(docs)


@pytest.fixture
def manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstreams: dict[str, FakeOpenAI]
) -> Callable[[], CompiledGateway]:
    """Write providers (the fakes), two routes, prices, a budget and a guardrail; compile them.

    The working directory moves to `tmp_path`, so sources read `configs/routes.yaml:LINE`.
    """
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "providers.yaml").write_text(_providers(upstreams))
    (configs / "routes.yaml").write_text(ROUTES)
    (configs / "policy.yaml").write_text(OTHERS)
    monkeypatch.chdir(tmp_path)

    def compiled() -> CompiledGateway:
        result = compile_paths([Path("configs")])
        assert result.gateway is not None, result.diagnostics
        return result.gateway

    return compiled


@pytest.fixture
def console_server(
    manifests: Callable[[], CompiledGateway], serve: ServeFn, monkeypatch: pytest.MonkeyPatch
) -> GatewayServer:
    """The real server with `gw serve`'s own wiring (cache, guardrails, budgets) and telemetry."""
    monkeypatch.delenv("GW_DATABASE_URL", raising=False)
    telemetry = Telemetry(metrics=Metrics(), console=ConsoleFeed())
    wiring = Wiring({}, config_root=Path("configs"), telemetry=telemetry)
    return serve(manifests(), components=wiring.for_config, telemetry=telemetry, shutdown=[wiring.shutdown])
