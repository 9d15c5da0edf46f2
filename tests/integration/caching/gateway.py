"""A real gw server wired like `gw serve` for the cache tests: manifests compiled by the real compiler,
components built by `Wiring` from an explicit environment, uvicorn on loopback, the OpenAI SDK as client.

The fake OpenAI upstream counts the calls that reached it, so a test tells a cache hit (no call) from
a miss (one call). Cache stores run after the response; `settled()` waits for them, so a test never
races the write it is about to read.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import openai
from prometheus_client.parser import text_string_to_metric_families

from gateway.app.factory import default_compilers
from gateway.telemetry import Metrics, Telemetry
from tests.integration.gateway.server import compiled_from, wired_server

__all__ = ["PROVIDER_KEY", "CacheGateway", "write_config"]

PROVIDER_KEY = "sk-cache-tests-not-a-real-key"

_PROVIDER = "kind: provider\nid: up\ntype: openai\nbase_url: {url}\napi_key: {{env: GW_CACHE_TEST_KEY}}\n"
_PRICING = (
    "kind: pricing\nid: prices\nprovider_type: openai\nmodels:\n"
    "  - {model: gpt-4o-mini, input: 0.15, output: 0.6}\n"
)
_ROUTE = "kind: route\nid: {id}\nprovider: up\n"


def write_config(
    directory: Path, upstream_url: str, routes: dict[str, str | None], policy: str = "", manifests: str = ""
) -> Path:
    """Write manifests: provider `up` (priced gpt-4o-mini) and one route per entry; an entry's value
    is the route's `cache:` flow mapping (None: no cache); `manifests` adds any other documents."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "providers.yaml").write_text(_PROVIDER.format(url=upstream_url))
    (directory / "pricing.yaml").write_text(_PRICING)
    docs = [
        _ROUTE.format(id=route_id) + (f"cache: {cache}\n" if cache else "")
        for route_id, cache in routes.items()
    ]
    (directory / "routes.yaml").write_text("---\n".join(docs))
    if manifests:
        (directory / "extra.yaml").write_text(manifests)
    if policy:
        (directory / "policy.yaml").write_text(f"kind: policy\nid: default\n{policy}")
    return directory


class CacheGateway:
    """One gw server on loopback with the cache (and, optionally, storage) wired from `env`."""

    def __init__(self, config_dir: Path, env: dict[str, str]) -> None:
        self.env = {"GW_CACHE_TEST_KEY": PROVIDER_KEY, **env}
        self.telemetry = Telemetry(metrics=Metrics())
        self.server, self.wiring = wired_server(
            compiled_from(config_dir),
            self.env,
            config_root=config_dir,
            telemetry=self.telemetry,
            compile_header=default_compilers()[1],
            watch=False,
        )

    def start(self) -> CacheGateway:
        """Serve until `stop`."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop the server (pending cache stores are drained, the cache closed)."""
        self.server.stop()

    @property
    def cache(self) -> Any:  # Any: gateway.cache.GatewayResponseCache, for its counters
        """The process-wide response cache the server uses."""
        return self.wiring.base.cache

    def client(self, route: str, api_key: str = "unused", **headers: str) -> openai.OpenAI:
        """An OpenAI SDK client selecting `route` (SDK retries off), closed with the server."""
        client = openai.OpenAI(
            base_url=self.server.url,
            api_key=api_key,
            max_retries=0,
            default_headers={"x-portkey-config": route, **headers},
        )
        self.server._clients.append(client)
        return client

    def ask(self, client: openai.OpenAI, question: str, **headers: str) -> tuple[str, dict[str, str]]:
        """Send one question; return the answer text and the response headers (after the store ran)."""
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": question}],
            extra_headers=headers or None,
        )
        answer = raw.parse().choices[0].message.content or ""
        self.settled()
        return answer, dict(raw.headers)

    def ask_streaming(
        self, client: openai.OpenAI, question: str, **headers: str
    ) -> tuple[str, dict[str, str]]:
        """Send one streaming question; return the streamed text and the response headers."""
        with client.chat.completions.with_streaming_response.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": question}],
            stream=True,
            extra_headers=headers or None,
        ) as response:
            text = "".join(
                chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices
            )
            found = dict(response.headers)
        self.settled()
        return text, found

    def settled(self, timeout_s: float = 30.0) -> None:
        """Wait until the stores of answers already sent have run (they are off the request path)."""
        background = self.wiring.base.background
        deadline = time.monotonic() + timeout_s
        while background.pending and time.monotonic() < deadline:
            time.sleep(0.005)
        assert background.pending == 0, "cache stores still running"

    def metrics(self) -> str:
        """The `/metrics` exposition text."""
        return httpx.get(self.server.base + "/metrics", timeout=10).text

    def samples(self, name: str, **labels: str) -> float:
        """The sum of the exported samples of `name` whose labels include `labels`."""
        total = 0.0
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    total += float(sample.value)
        return total

    def lookups(self, route: str, mode: str, result: str) -> float:
        """The exported `gw_cache_lookups_total` sample for (route, mode, result), 0 when absent."""
        return self.samples("gw_cache_lookups_total", route=route, mode=mode, result=result)
