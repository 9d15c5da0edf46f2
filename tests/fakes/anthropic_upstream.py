"""A fake Anthropic Messages API on loopback: real wire format (JSON, SSE events, error bodies).

It rejects malformed requests the way Anthropic does (400 `invalid_request_error` with Anthropic's
messages): missing `max_tokens`/`model`, unknown top-level fields, a `system` role inside `messages`,
roles that do not alternate, empty text blocks, `tool_result` blocks without a matching `tool_use` in
the previous assistant turn, and a missing `x-api-key` (401) or `anthropic-version` (400).

    with FakeAnthropic("claude") as upstream:
        upstream.script(Reply(status=529), Reply(tool_calls=[ToolCall("toolu_1", "get_weather", {...})]))
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Reply, ToolCall

__all__ = ["FakeAnthropic", "Reply", "ToolCall", "anthropic_error"]

_FIELDS = {
    "model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences",
    "stream", "tools", "tool_choice", "metadata", "thinking", "service_tier", "container", "mcp_servers",
}  # fmt: skip
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def anthropic_error(status: int, message: str | None = None) -> dict[str, Any]:
    """Anthropic's error body for a status."""
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message or f"fake {kind}"}}


def _check_turns(messages: list[Any]) -> str | None:
    previous: dict[str, Any] | None = None
    for i, msg in enumerate(messages):
        role = msg.get("role")
        if role == "system":
            return (
                'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                'parameter, not "system" as an input message role.'
            )
        if role not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if previous is not None and previous.get("role") == role:
            return (
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
        problem = _check_blocks(i, msg.get("content"), previous)
        if problem:
            return problem
        previous = msg
    return None


def _check_blocks(i: int, content: Any, previous: dict[str, Any] | None) -> str | None:
    if isinstance(content, str):
        return None if content else f"messages.{i}: all messages must have non-empty content"
    if not content:
        return f"messages.{i}: all messages must have non-empty content"
    prior = previous.get("content") if previous else None
    used = {b.get("id") for b in prior if isinstance(b, dict)} if isinstance(prior, list) else set()
    for j, block in enumerate(content):
        if block.get("type") == "text" and not block.get("text"):
            return "messages: text content blocks must be non-empty"
        if block.get("type") == "tool_result" and block.get("tool_use_id") not in used:
            return (
                f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )
    return None


def validate(headers: Any, body: Any) -> tuple[int, str] | None:
    """Return (status, message) for a request Anthropic would refuse, else None."""
    if not headers.get("x-api-key"):
        return 401, "x-api-key header is required"
    if not headers.get("anthropic-version"):
        return 400, "anthropic-version: header is required"
    if not isinstance(body, dict):
        return 400, "There was an error parsing the body of your request."
    for name in ("model", "messages", "max_tokens"):
        if name not in body:
            return 400, f"{name}: Field required"
    extra = sorted(set(body) - _FIELDS)
    if extra:
        return 400, f"{extra[0]}: Extra inputs are not permitted"
    problem = _check_turns(body["messages"])
    return (400, problem) if problem else None


class FakeAnthropic(LoopbackServer):
    """Scriptable fake of `POST /v1/messages`."""

    @property
    def url(self) -> str:
        """Base URL as gw providers take it (with `/v1`)."""
        return f"{self.base_url}/v1"

    def add_routes(self, app: web.Application) -> None:
        """Register `/v1/messages`."""
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)

    async def _count_tokens(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        if isinstance(body, dict) and "max_tokens" in body:
            return web.json_response(
                anthropic_error(400, "max_tokens: Extra inputs are not permitted"), status=400
            )
        refused = validate(request.headers, {**body, "max_tokens": 1} if isinstance(body, dict) else body)
        if refused:
            return web.json_response(anthropic_error(*refused), status=refused[0])
        words = len(msgspec.json.encode(body["messages"]).split()) + len(str(body.get("system", "")).split())
        return web.json_response({"input_tokens": words})

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        refused = validate(request.headers, body)
        if refused:
            return web.json_response(anthropic_error(*refused), status=refused[0])
        reply = self.next_reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status >= 400:
            payload = reply.body or anthropic_error(reply.status)
            return web.json_response(payload, status=reply.status, headers=reply.headers)
        message = reply.body or self.message(reply, body)
        if body.get("stream"):
            return await self.stream(request, _events(message, reply), reply)
        return web.json_response(message, headers=reply.headers)

    def message(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        """Render a reply as an Anthropic `message` object."""
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        for call in reply.tool_calls:
            content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
        return {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": content,
            "stop_reason": reply.finish or ("tool_use" if reply.tool_calls else "end_turn"),
            "stop_sequence": None,
            "usage": reply.usage or {"input_tokens": 12, "output_tokens": 6},
        }


def _sse(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"


def _events(message: dict[str, Any], reply: Reply) -> list[bytes]:
    usage = dict(message["usage"])
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    out = [_sse("message_start", {"type": "message_start", "message": start}), _sse("ping", {"type": "ping"})]
    if reply.stream_error is not None and not message["content"]:
        return [*out, _sse("error", {"type": "error", "error": reply.stream_error})]
    for index, block in enumerate(message["content"]):
        out.extend(_block_events(index, block))
        if reply.stream_error is not None:
            out.append(_sse("error", {"type": "error", "error": reply.stream_error}))
            return out
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    out.append(_sse("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return out


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    if block["type"] == "text":
        start = {"type": "text", "text": ""}
        text = block["text"]
        pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
        deltas = [{"type": "text_delta", "text": p} for p in pieces]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        args = msgspec.json.encode(block["input"]).decode()
        deltas = [{"type": "input_json_delta", "partial_json": ""}]
        deltas += [
            {"type": "input_json_delta", "partial_json": args[i : i + 10]} for i in range(0, len(args), 10)
        ]
    out = [
        _sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
    ]
    out += [
        _sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    return out
