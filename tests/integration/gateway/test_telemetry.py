"""Telemetry wired through the real server: metrics per request and attempt, breaker gauges, reloads."""

from __future__ import annotations

import httpx

from gateway.telemetry import Metrics, Telemetry
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gateway.runtime.builders import gateway, leaf, provider, route, strategy
from tests.integration.gateway.conftest import ServeFn

MESSAGES = [{"role": "user", "content": "hi"}]


def test_metrics_count_requests_attempts_and_streams(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    tree = strategy("config", "fallback", [leaf("config.targets[0]", "a"), leaf("config.targets[1]", "b")])
    compiled = gateway([provider(n, f.url) for n, f in upstreams.items()], [route("chat", tree)])
    server = serve(compiled, telemetry=Telemetry(metrics=Metrics()))
    upstreams["a"].script(Reply(status=503))
    client = server.client("chat")
    client.chat.completions.create(model="m", messages=MESSAGES)
    list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    text = httpx.get(server.base + "/metrics").text
    assert "gw_requests_total" in text
    assert "gw_upstream_attempts_total" in text
    assert 'route="chat"' in text
    assert "gw_stream_time_to_first_token_seconds" in text


def test_metrics_endpoint_is_404_without_telemetry(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(gateway([provider("a", upstreams["a"].url)], [route("chat", leaf("config", "a"))]))
    assert httpx.get(server.base + "/metrics").status_code == 404
