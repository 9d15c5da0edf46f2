"""The circuit breaker through the real server: opens, skips the target, probes half-open, closes."""

from __future__ import annotations

import time

import httpx

from compiler.specs import CircuitBreakerSpec
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gateway.runtime.builders import gateway, leaf, provider, route, strategy
from tests.integration.gateway.conftest import ServeFn
from tests.integration.gateway.server import GatewayServer

MESSAGES = [{"role": "user", "content": "hi"}]
BREAKER = CircuitBreakerSpec(failure_threshold=2, cooldown_ms=1500)


def _server(up: dict[str, FakeOpenAI], serve: ServeFn) -> GatewayServer:
    tree = strategy(
        "config",
        "fallback",
        [leaf("config.targets[0]", "a", circuit_breaker=BREAKER), leaf("config.targets[1]", "b")],
    )
    return serve(gateway([provider(n, f.url) for n, f in up.items()], [route("chat", tree)]))


def _ask(server: GatewayServer) -> str:
    completion = server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    return completion.choices[0].message.content or ""


def _breaker_state(server: GatewayServer) -> str:
    response = httpx.get(server.base + "/admin/breakers", headers={"authorization": "Bearer admin-secret"})
    assert response.status_code == 200
    return str(response.json()["breakers"]["chat:config.targets[0]:a"]["state"])


def test_breaker_opens_then_half_open_probe_closes_it(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    server = _server(upstreams, serve)
    upstreams["a"].script(Reply(status=503), Reply(status=503))
    assert [_ask(server), _ask(server)] == ["hello from b", "hello from b"]
    assert _breaker_state(server) == "open"

    assert _ask(server) == "hello from b"
    assert len(upstreams["a"].requests) == 2  # open: the target was skipped without a call

    time.sleep(1.6)  # the cooldown passes: the next request is the half-open probe
    assert _breaker_state(server) == "half_open"
    assert _ask(server) == "hello from a"
    assert _breaker_state(server) == "closed"


def test_failed_probe_opens_the_breaker_again(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = _server(upstreams, serve)
    upstreams["a"].script(Reply(status=503), Reply(status=503), Reply(status=500))
    _ask(server)
    _ask(server)
    time.sleep(1.6)
    assert _ask(server) == "hello from b"  # the probe failed and fell back
    assert len(upstreams["a"].requests) == 3
    assert _breaker_state(server) == "open"
    assert _ask(server) == "hello from b"
    assert len(upstreams["a"].requests) == 3
