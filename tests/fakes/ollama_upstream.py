"""A fake Ollama server on loopback: native `/api/chat` (NDJSON streaming by default), `/api/embed`, and
the OpenAI-compatible `/v1/chat/completions`.

Like Ollama it streams unless the body says `"stream": false`, needs no key, answers
`{"error": "..."}` with 400 for a missing model or bad base64 image data and 404 for a model it does not
have (any model whose name starts with `missing`), and ends a stream with a `done: true` line carrying
`done_reason` and the token counts.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Reply, ToolCall

__all__ = ["FakeOllama", "Reply", "ToolCall"]

_CREATED_AT = "2025-05-01T10:00:00.123456Z"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def validate_chat(body: Any) -> tuple[int, str] | None:
    """Return (status, message) for a chat body Ollama would refuse, else None."""
    if not isinstance(body, dict) or not body.get("model"):
        return 400, "model is required"
    if str(body["model"]).startswith("missing"):
        return 404, f'model "{body["model"]}" not found, try pulling it first'
    for msg in body.get("messages") or ():
        for image in msg.get("images") or ():
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError):
                return 400, "illegal base64 data at input byte 0"
        for call in msg.get("tool_calls") or ():
            if not isinstance(call.get("function", {}).get("arguments"), dict):
                return 400, "json: cannot unmarshal string into Go struct field .arguments"
    return None


class FakeOllama(LoopbackServer):
    """Scriptable fake of Ollama's native API."""

    @property
    def url(self) -> str:
        """Base URL as gw providers take it."""
        return self.base_url

    def add_routes(self, app: web.Application) -> None:
        """Register `/api/chat` and `/api/embed`."""
        app.router.add_post("/api/chat", self._chat)
        app.router.add_post("/api/embed", self._embed)
        app.router.add_post("/v1/chat/completions", self._openai_chat)

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        """Ollama's OpenAI-compatible endpoint (non-streaming and SSE)."""
        body = await self.record(request)
        refused = validate_chat(body)
        if refused:
            kind = "invalid_request_error" if refused[0] == 400 else "not_found_error"
            return web.json_response(
                {"error": {"message": refused[1], "type": kind, "param": None, "code": None}},
                status=refused[0],
            )
        reply = self.next_reply()
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        base = {
            "id": "chatcmpl-123",
            "created": 1700000000,
            "model": body["model"],
            "system_fingerprint": "fp_ollama",
        }
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            usage = {"prompt_tokens": 26, "completion_tokens": 7, "total_tokens": 33}
            return web.json_response(
                {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        pieces = [{"role": "assistant", "content": text}, {}]
        events = [
            b"data: "
            + msgspec.json.encode(
                {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None if delta else "stop"}],
                }
            )
            + b"\n\n"
            for delta in pieces
        ]
        return await self.stream(request, [*events, b"data: [DONE]\n\n"], reply)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        refused = validate_chat(body)
        if refused:
            return _error(*refused)
        reply = self.next_reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status >= 400:
            return web.json_response(
                reply.body or {"error": f"fake error {reply.status}"}, status=reply.status
            )
        final = reply.body or self.response(reply, body["model"])
        if body.get("stream", True):
            return await self.stream(request, self._lines(final, reply), reply, "application/x-ndjson")
        return web.json_response(final, headers=reply.headers)

    def response(self, reply: Reply, model: str) -> dict[str, Any]:
        """Render a reply as a complete (`done: true`) chat response."""
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"function": {"name": c.name, "arguments": c.arguments}} for c in reply.tool_calls
            ]
        counts = reply.usage or {"prompt_eval_count": 26, "eval_count": 7}
        return {
            "model": model,
            "created_at": _CREATED_AT,
            "message": message,
            "done": True,
            "done_reason": reply.finish or "stop",
            "total_duration": 4883583458,
            "load_duration": 1334875,
            "prompt_eval_duration": 342546000,
            "eval_duration": 4535599000,
            **counts,
        }

    def _lines(self, final: dict[str, Any], reply: Reply) -> list[bytes]:
        text = final["message"]["content"]
        pieces = [text[i : i + 6] for i in range(0, len(text), 6)]
        out = []
        for piece in pieces:
            line = {
                "model": final["model"],
                "created_at": _CREATED_AT,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            out.append(msgspec.json.encode(line) + b"\n")
            if reply.stream_error is not None:
                return [*out, msgspec.json.encode(reply.stream_error) + b"\n"]
        last = {**final, "message": {**final["message"], "content": ""}}
        out.append(msgspec.json.encode(last) + b"\n")
        return out

    async def _embed(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if not isinstance(body, dict) or not body.get("model"):
            return _error(400, "model is required")
        if str(body["model"]).startswith("missing"):
            return _error(404, f'model "{body["model"]}" not found, try pulling it first')
        reply = self.next_reply()
        if reply.status >= 400:
            return web.json_response(
                reply.body or {"error": f"fake error {reply.status}"}, status=reply.status
            )
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or ())
        size = body.get("dimensions") or 4
        vectors = [[round((len(t) + j) / 10, 3) for j in range(size)] for t in items]
        return web.json_response(
            {
                "model": body["model"],
                "embeddings": vectors,
                "total_duration": 14143917,
                "load_duration": 1019500,
                "prompt_eval_count": 2 * len(items),
            }
        )
