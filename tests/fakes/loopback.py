"""The machinery shared by every fake upstream: a threaded aiohttp server, scripting, recording.

`LoopbackApp` is the plumbing: an aiohttp server on 127.0.0.1 in its own thread and event loop (so
sync SDK clients, async tests and a gateway in another thread can all use it); `ScriptedServer` adds a
queue of scripted replies. `FakeOpenAI` (tests/fakes/openai_upstream.py) builds on it with its own
`Reply`; the other fakes (anthropic_upstream, gemini_upstream, ollama_upstream, azure_upstream) subclass
`LoopbackServer`, add their routes, validate requests the way their provider does and render `Reply`s in
its wire format. The cluster tests' load balancer is a `LoopbackApp` too.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

import msgspec
from aiohttp import web

__all__ = [
    "LoopbackApp",
    "LoopbackServer",
    "Recorded",
    "Reply",
    "ScriptedServer",
    "ToolCall",
    "abort",
    "all_running",
]

ReplyT = TypeVar("ReplyT")
AppT = TypeVar("AppT", bound="LoopbackApp")


@dataclass
class ToolCall:
    """A tool call the fake model makes."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    """One scripted answer, rendered by each fake in its provider's format."""

    status: int = 200
    body: dict[str, Any] | None = None
    """JSON body sent verbatim instead of the generated one (error bodies default to the provider's)."""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    text: str | None = None
    """Answer text (default `hello from <name>`)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish: str | None = None
    """Provider-native stop/finish reason (default: the provider's normal end, or its tool-call reason)."""
    usage: dict[str, Any] | None = None
    """Provider-native usage object (default: small fixed counts)."""
    break_after: int | None = None
    """Streams: drop the connection after this many events/lines, without the end marker."""
    stream_error: dict[str, Any] | None = None
    """Streams: send this provider error event after the first content block (or at once if there is
    no content), then stop."""
    chunk_delay_s: float = 0.0


@dataclass
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def abort(request: web.Request) -> None:
    """Drop the connection abruptly (a broken stream)."""
    if request.transport is not None:
        request.transport.abort()


class LoopbackApp:
    """An aiohttp app on 127.0.0.1 served from its own thread and event loop; subclasses add routes."""

    def __init__(self, name: str = "fake", *, port: int = 0) -> None:
        self.name = name
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Root URL of the server (no path)."""
        return f"http://127.0.0.1:{self.port}"

    def make_app(self) -> web.Application:
        """The aiohttp application to serve (by default: one with `add_routes`)."""
        app = web.Application()
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application) -> None:
        """Register the server's endpoints."""
        raise NotImplementedError

    async def on_startup(self) -> None:
        """Runs on the server's loop before it listens."""

    async def on_shutdown(self) -> None:
        """Runs on the server's loop after it stopped listening."""

    def start(self) -> Self:
        """Start serving in a background thread; return once listening."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True, name=self.name)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start")
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._startup())
        ready.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        await self.on_startup()
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets: Any = getattr(server, "sockets", ())
        self.port = sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self.on_shutdown()


class ScriptedServer(LoopbackApp, Generic[ReplyT]):
    """A `LoopbackApp` answering from a queue of scripted replies; subclasses add routes and a reply type."""

    def __init__(self, name: str = "fake", *, port: int = 0) -> None:
        super().__init__(name, port=port)
        self.default = self.fresh_reply()
        self._script: deque[ReplyT] = deque()
        self._lock = threading.Lock()

    def fresh_reply(self) -> ReplyT:
        """The default reply (used when nothing is scripted)."""
        raise NotImplementedError

    def script(self, *replies: ReplyT) -> None:
        """Queue replies used in order by the next requests."""
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        """Forget scripted replies and recorded requests; restore the default reply."""
        with self._lock:
            self._script.clear()
            self.forget_requests()
            self.default = self.fresh_reply()

    def forget_requests(self) -> None:
        """Clear the recorded requests (called under the lock by `reset`)."""

    def next_reply(self) -> ReplyT:
        """Return the next scripted reply, or the default one."""
        with self._lock:
            return self._script.popleft() if self._script else self.default


class LoopbackServer(ScriptedServer[Reply]):
    """A scriptable fake provider on 127.0.0.1; subclasses add routes."""

    def __init__(self, name: str = "fake", *, port: int = 0) -> None:
        self.requests: list[Recorded] = []
        super().__init__(name, port=port)

    def fresh_reply(self) -> Reply:
        """A default `Reply`."""
        return Reply()

    def forget_requests(self) -> None:
        """Clear `requests`."""
        self.requests.clear()

    async def record(self, request: web.Request) -> Any:
        """Record the request and return its decoded JSON body (None when it is not JSON)."""
        raw = await request.read()
        try:
            body = msgspec.json.decode(raw) if raw else None
        except msgspec.DecodeError:
            body = None
        with self._lock:
            self.requests.append(
                Recorded(request.method, request.path, dict(request.query), dict(request.headers), body)
            )
        return body

    @staticmethod
    async def stream(
        request: web.Request, events: list[bytes], reply: Reply, content_type: str = "text/event-stream"
    ) -> web.StreamResponse:
        """Send pre-framed stream events, honouring `break_after` and `chunk_delay_s`."""
        resp = web.StreamResponse(status=reply.status, headers={"content-type": content_type})
        resp.headers.update(reply.headers)
        await resp.prepare(request)
        for i, event in enumerate(events):
            if reply.break_after is not None and i >= reply.break_after:
                await resp.drain()
                abort(request)
                return resp
            await resp.write(event)
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
        await resp.write_eof()
        return resp


@contextmanager
def all_running(servers: Mapping[str, AppT]) -> Iterator[dict[str, AppT]]:
    """Start every server (keyed by name); stop them all on exit."""
    with ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(server)
        yield dict(servers)
