"""A fake OpenAI API on loopback, faithful to the wire format (JSON, SSE, errors), scriptable per test.

It runs on `tests.fakes.loopback.ScriptedServer` (an aiohttp server in its own thread and event loop),
so sync and async tests (and the gateway under test, in another thread) can all use it. By default
every call succeeds with a completion whose text names the fake (`hello from <name>`), so a test can
tell which upstream served a request.
`script(...)` queues replies that are used in order before the default resumes:

    upstream.script(Reply(status=429, headers={"retry-after": "0"}), Reply())

Every request is recorded (`requests`) with its path, headers and decoded JSON body. `Reply` is the one
all fakes share (tests/fakes/loopback.py); this fake honours `status`, `body`, `headers`, `delay_s`,
`text`, `break_after` and `chunk_delay_s`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import Reply, ScriptedServer

__all__ = ["FakeOpenAI", "Recorded", "Reply"]


@dataclass
class Recorded:
    """A request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _error_body(status: int) -> dict[str, Any]:
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key", 400: "invalid_request_error"}
    return {
        "error": {
            "message": f"fake upstream error {status}",
            "type": "invalid_request_error" if status < 500 else "server_error",
            "param": None,
            "code": kind.get(status),
        }
    }


class FakeOpenAI(ScriptedServer[Reply]):
    """A scriptable fake OpenAI server on 127.0.0.1."""

    def __init__(self, name: str = "fake", *, port: int = 0) -> None:
        self.requests: list[Recorded] = []
        super().__init__(name, port=port)

    @property
    def url(self) -> str:
        """Base URL including `/v1`, as the OpenAI SDK and gw providers expect."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fresh_reply(self) -> Reply:
        """A default `Reply` (success, `hello from <name>`)."""
        return Reply()

    def forget_requests(self) -> None:
        """Clear `requests`."""
        self.requests.clear()

    def add_routes(self, app: web.Application) -> None:
        """Register the OpenAI endpoints the gateway calls."""
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)

    async def _record(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        try:
            body = msgspec.json.decode(raw) if raw else {}
        except msgspec.DecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        with self._lock:
            self.requests.append(
                Recorded(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
            )
        return body if isinstance(body, dict) else {}

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        reply = self.next_reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status >= 400:
            return web.json_response(
                reply.body or _error_body(reply.status), status=reply.status, headers=reply.headers
            )
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        model = str(body.get("model") or "gpt-fake")
        if body.get("stream"):
            return await self._stream(request, reply, body, text, model)
        payload = reply.body or _completion(text, model)
        return web.json_response(payload, status=reply.status, headers=reply.headers)

    async def _stream(
        self, request: web.Request, reply: Reply, body: dict[str, Any], text: str, model: str
    ) -> web.StreamResponse:
        resp = web.StreamResponse(status=reply.status, headers={"content-type": "text/event-stream"})
        resp.headers.update(reply.headers)
        await resp.prepare(request)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        for i, chunk in enumerate(_chunks(text, model, include_usage)):
            if reply.break_after is not None and i >= reply.break_after:
                transport = request.transport
                if transport is not None:
                    transport.abort()
                return resp
            await resp.write(b"data: " + msgspec.json.encode(chunk) + b"\n\n")
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def _completions(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        reply = self.next_reply()
        if reply.status >= 400:
            return web.json_response(reply.body or _error_body(reply.status), status=reply.status)
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}
        return web.json_response(
            {
                "id": "cmpl-fake",
                "object": "text_completion",
                "created": int(time.time()),
                "model": body.get("model", "gpt-fake"),
                "choices": [choice],
                "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5},
            }
        )

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        reply = self.next_reply()
        if reply.status >= 400:
            return web.json_response(reply.body or _error_body(reply.status), status=reply.status)
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]} for i in range(len(items))]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "text-embedding-fake"),
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": "gpt-fake", "object": "model", "created": 0, "owned_by": "fake"}],
            }
        )


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
    }


def _chunks(text: str, model: str, include_usage: bool) -> list[dict[str, Any]]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    out = [chunk({"role": "assistant", "content": ""}, None)]
    out += [chunk({"content": word}, None) for word in _words(text)]
    out.append(chunk({}, "stop"))
    if include_usage:
        out.append(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
            }
        )
    return out


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]
