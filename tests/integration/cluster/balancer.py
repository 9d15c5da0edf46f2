"""A small HTTP load balancer on loopback: round robin over replicas, retry on connection failure.

It stands where nginx would in `deploy/compose.yaml`: requests go to the next replica in turn; when
a replica cannot be reached (connection refused, or the connection dropped before any response
byte) the same request goes to the next one, so a replica that stops accepting loses no request.
Responses (streams included) are relayed chunk by chunk. It runs its own event loop in a thread so
sync tests can use it.
"""

from __future__ import annotations

import asyncio
import itertools
import threading

import aiohttp
from aiohttp import web

from tests.services import free_port

__all__ = ["LoadBalancer"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
_RETRYABLE = (aiohttp.ClientConnectionError, ConnectionResetError)
"""No response byte came back: refused, reset, or closed (a draining replica closes idle keep-alive
connections, possibly while a request is being written on one)."""


class LoadBalancer:
    """Round-robin reverse proxy to `backends` (base URLs); `retries` counts re-sent requests."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = list(backends)
        self.port = free_port()
        self.retries = 0
        self._turn = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """The balancer's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoadBalancer:
        """Serve in a background thread; return once listening."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("load balancer did not start")
        return self

    def stop(self) -> None:
        """Stop serving and close the upstream connections."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._startup())
        ready.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=2),
            connector=aiohttp.TCPConnector(limit=0),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._proxy)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
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
