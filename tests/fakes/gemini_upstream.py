"""A fake Gemini API (`v1beta`) on loopback: generateContent, streamGenerateContent (SSE), batchEmbedContents.

It rejects requests the way Google does (400 `INVALID_ARGUMENT` with Google's messages): unknown JSON
fields, empty `contents`, roles other than `user`/`model`, parts with zero or several members,
embedding requests whose `model` does not match the URL; a missing key is 403 `PERMISSION_DENIED` and
the key `bad-key` is 400 `API key not valid`. Replies render `Reply.finish` as Gemini's finishReason.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Reply, ToolCall

__all__ = ["FakeGemini", "Reply", "ToolCall", "google_error"]

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_REQUEST_FIELDS = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig",
                   "safetySettings", "cachedContent"}  # fmt: skip
_PART_FIELDS = {"text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
                "codeExecutionResult"}  # fmt: skip


def google_error(status: int, message: str | None = None) -> dict[str, Any]:
    """Google's error body for a status."""
    name = _STATUS.get(status, "INTERNAL")
    return {"error": {"code": status, "message": message or f"fake {name.lower()}", "status": name}}


def _check_parts(where: str, parts: Any) -> str | None:
    if not isinstance(parts, list) or not parts:
        return f"* {where}.parts: contents.parts must not be empty."
    for part in parts:
        members = set(part) & _PART_FIELDS
        unknown = set(part) - _PART_FIELDS - {"thought", "thoughtSignature"}
        if unknown:
            return (
                f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at '{where}.parts[0]'"
            )
        if len(members) != 1:
            return f"* {where}.parts: a part must have exactly one data field"
    return None


def validate_generate(body: Any) -> str | None:
    """Return Google's message for a generateContent body it would refuse, else None."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received."
    unknown = sorted(set(body) - _REQUEST_FIELDS)
    if unknown:
        return f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
    contents = body.get("contents")
    if not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    for i, content in enumerate(contents):
        if content.get("role") not in ("user", "model"):
            return "Please use a valid role: user, model."
        problem = _check_parts(f"contents[{i}]", content.get("parts"))
        if problem:
            return problem
    system = body.get("systemInstruction")
    return _check_parts("systemInstruction", system.get("parts")) if system else None


class FakeGemini(LoopbackServer):
    """Scriptable fake of the Gemini API."""

    @property
    def url(self) -> str:
        """Base URL as gw providers take it (with `/v1beta`)."""
        return f"{self.base_url}/v1beta"

    def add_routes(self, app: web.Application) -> None:
        """Register `/v1beta/models/{model}:{method}`."""
        app.router.add_post("/v1beta/models/{target}", self._dispatch)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        model, _, method = request.match_info["target"].partition(":")
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            message = (
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API."
            )
            return web.json_response(google_error(403, message), status=403)
        if key == "bad-key":
            return web.json_response(
                google_error(400, "API key not valid. Please pass a valid API key."), status=400
            )
        if method == "batchEmbedContents":
            return self._embed(model, body)
        if method not in ("generateContent", "streamGenerateContent"):
            return web.json_response(google_error(404, f"method {method} not found"), status=404)
        problem = validate_generate(body)
        if problem:
            return web.json_response(google_error(400, problem), status=400)
        reply = self.next_reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status >= 400:
            return web.json_response(
                reply.body or google_error(reply.status), status=reply.status, headers=reply.headers
            )
        if method == "streamGenerateContent":
            if request.query.get("alt") != "sse":
                return web.json_response(google_error(400, "this fake only streams with alt=sse"), status=400)
            return await self.stream(request, self._events(reply, model), reply)
        return web.json_response(reply.body or self.response(reply, model), headers=reply.headers)

    def response(self, reply: Reply, model: str) -> dict[str, Any]:
        """Render a reply as a GenerateContentResponse."""
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        parts += [{"functionCall": {"name": c.name, "args": c.arguments}} for c in reply.tool_calls]
        return {
            "candidates": [
                {
                    "content": {"parts": parts, "role": "model"},
                    "finishReason": reply.finish or "STOP",
                    "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}],
                }
            ],
            "usageMetadata": reply.usage
            or {"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14},
            "modelVersion": model,
            "responseId": "fakeGeminiResponse1",
        }

    def _events(self, reply: Reply, model: str) -> list[bytes]:
        whole = self.response(reply, model)
        candidate = whole["candidates"][0]
        pieces: list[list[dict[str, Any]]] = []
        for part in candidate["content"]["parts"]:
            if "text" in part:
                text = part["text"]
                pieces += [[{"text": text[i : i + 8]}] for i in range(0, len(text), 8)]
            else:
                pieces.append([part])
        out = []
        for i, parts in enumerate(pieces or [[]]):
            last = i == max(len(pieces), 1) - 1
            event: dict[str, Any] = {
                "candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}],
                "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
                "modelVersion": model,
                "responseId": "fakeGeminiResponse1",
            }
            if i == 0 and reply.stream_error is not None and not last:
                out.append(b"data: " + msgspec.json.encode(event) + b"\r\n\r\n")
                out.append(b"data: " + msgspec.json.encode({"error": reply.stream_error}) + b"\r\n\r\n")
                return out
            if last:
                event["candidates"][0]["finishReason"] = candidate["finishReason"]
                event["usageMetadata"] = whole["usageMetadata"]
            out.append(b"data: " + msgspec.json.encode(event) + b"\r\n\r\n")
        return out

    def _embed(self, model: str, body: Any) -> web.Response:
        reply = self.next_reply()
        if reply.status >= 400:
            return web.json_response(reply.body or google_error(reply.status), status=reply.status)
        requests = body.get("requests") if isinstance(body, dict) else None
        if not requests:
            return web.json_response(
                google_error(400, "* BatchEmbedContentsRequest.requests: requests is empty"), status=400
            )
        out = []
        for i, item in enumerate(requests):
            if item.get("model") != f"models/{model}":
                message = f"* BatchEmbedContentsRequest.model: model in request {i} does not match the URL"
                return web.json_response(google_error(400, message), status=400)
            size = item.get("outputDimensionality") or 4
            text = item["content"]["parts"][0]["text"]
            out.append({"values": [round((len(text) + j) / 100, 4) for j in range(size)]})
        return web.json_response({"embeddings": out})
