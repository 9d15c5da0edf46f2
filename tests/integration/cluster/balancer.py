"""A small HTTP load balancer on loopback: round robin over replicas, retry on connection failure.

It stands where nginx would in `deploy/compose.yaml`: requests go to the next replica in turn; when
a replica cannot be reached (connection refused, or the connection dropped before any response
byte) the same request goes to the next one, so a replica that stops accepting loses no request.
Responses (streams included) are relayed chunk by chunk. It is a `tests.fakes.loopback.LoopbackApp`
(its own event loop in a thread) so sync tests can use it.
"""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

from tests.fakes.loopback import LoopbackApp
from tests.services import free_port

__all__ = ["LoadBalancer"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
_RETRYABLE = (aiohttp.ClientConnectionError, ConnectionResetError)
"""No response byte came back: refused, reset, or closed (a draining replica closes idle keep-alive
connections, possibly while a request is being written on one)."""


class LoadBalancer(LoopbackApp):
    """Round-robin reverse proxy to `backends` (base URLs); `retries` counts re-sent requests."""

    def __init__(self, backends: list[str]) -> None:
        super().__init__("load-balancer", port=free_port())
        self.backends = list(backends)
        self.retries = 0
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """The balancer's base URL."""
        return self.base_url

    def make_app(self) -> web.Application:
        """A catch-all proxy route; bodies up to 64 MiB."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._proxy)
        return app

    async def on_startup(self) -> None:
        """Open the upstream client session."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=2),
            connector=aiohttp.TCPConnector(limit=0),
            auto_decompress=False,
        )

    async def on_shutdown(self) -> None:
        """Close the upstream connections."""
        if self._session is not None:
            await self._session.close()

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        for _ in range(2 * max(len(self.backends), 1)):
            backends = list(self.backends)
            if not backends:
                break
            base = backends[next(self._turn) % len(backends)]
            try:
                upstream = await self._session.request(
                    request.method, base + request.path_qs, data=body, headers=headers
                )
            except _RETRYABLE:
                self.retries += 1
                continue
            return await self._relay(request, upstream)
        return web.json_response({"error": {"message": "no replica reachable"}}, status=502)

    async def _relay(self, request: web.Request, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    response.headers.add(key, value)
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
            except (aiohttp.ClientError, ConnectionResetError):
                if request.transport is not None:  # cut the client's stream too: it sees the break
                    request.transport.close()
                return response
            await response.write_eof()
            return response
