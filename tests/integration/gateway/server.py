"""The real gateway server (uvicorn) in a background thread on a free loopback port, and the one way the
integration suites compile a config and serve it.

`compiled_from` compiles manifest texts or a config directory; `wired_server` builds the app with the
components `gw serve` wires (`Wiring` from an explicit environment: per-config components, startup and
shutdown hooks, readiness, storage), each suite adding or overriding `create_app` options; `serving` is
the body of a fixture that starts servers on demand and stops them after the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import openai
import uvicorn
from litestar import Litestar

from compiler import compile_paths, compile_sources
from compiler.specs import CompiledGateway
from gateway.app import create_app
from gateway.app.wiring import Wiring
from gateway.telemetry import Telemetry
from tests.services import free_port, wait_port

__all__ = ["GatewayServer", "ServeFn", "compiled_from", "serving", "wired_server"]


class GatewayServer:
    """Runs an app under uvicorn in a thread; `url` is the OpenAI SDK base URL (with /v1)."""

    def __init__(self, app: Litestar) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, loop="asyncio", lifespan="on", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="gw-server")
        self._clients: list[openai.OpenAI] = []

    def client(self, config: str | None = None, **headers: str) -> openai.OpenAI:
        """A sync OpenAI client for this server (closed when the server stops); SDK retries off."""
        if config is not None:
            headers["x-portkey-config"] = config
        client = openai.OpenAI(base_url=self.url, api_key="unused", max_retries=0, default_headers=headers)
        self._clients.append(client)
        return client

    @property
    def base(self) -> str:
        """Root URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients."""
        return self.base + "/v1"

    def start(self) -> GatewayServer:
        """Start and wait until it accepts connections."""
        self.thread.start()
        wait_port(self.port)
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        for client in self._clients:
            client.close()
        self.server.should_exit = True
        self.thread.join(10)


ServeFn = Callable[..., GatewayServer]


def compiled_from(sources: Mapping[str, str] | Path) -> CompiledGateway:
    """Compile manifest texts (display path → YAML) or a config directory; fail with the diagnostics."""
    result = compile_paths([sources]) if isinstance(sources, Path) else compile_sources(dict(sources))
    assert result.gateway is not None, result.diagnostics
    return result.gateway


def wired_server(
    compiled: CompiledGateway,
    env: Mapping[str, str],
    *,
    config_root: Path | None = None,
    telemetry: Telemetry | None = None,
    **options: Any,  # Any: further create_app keyword arguments
) -> tuple[GatewayServer, Wiring]:
    """An unstarted server on `compiled` with `gw serve`'s wiring from `env`, and that wiring."""
    wiring = Wiring(env, config_root=config_root, telemetry=telemetry)
    kwargs: dict[str, Any] = {
        "components": wiring.for_config,
        "env": env,
        "telemetry": telemetry,
        "startup": [wiring.startup],
        "shutdown": [wiring.shutdown],
        "readiness": wiring.readiness,
        "fallbacks": wiring.fallbacks,
        "storage": wiring.storage,
    }
    return GatewayServer(create_app(compiled, **{**kwargs, **options})), wiring


def serving(build: Callable[..., Litestar]) -> Iterator[ServeFn]:
    """Fixture body: yield `serve(compiled, **kwargs)` that starts a server on `build(compiled, **kwargs)`;
    every server started is stopped when the fixture ends."""
    started: list[GatewayServer] = []

    def serve(compiled: CompiledGateway, **kwargs: Any) -> GatewayServer:  # Any: create_app options
        server = GatewayServer(build(compiled, **kwargs)).start()
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()
