"""The real gateway server (uvicorn) in a background thread on a free loopback port."""

from __future__ import annotations

import threading
import time

import openai
import uvicorn
from litestar import Litestar

from tests.services import free_port, wait_port

__all__ = ["GatewayServer"]


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

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        for client in self._clients:
            client.close()
        self.server.should_exit = True
        self.thread.join(10)
