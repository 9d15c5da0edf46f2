"""A fake Anthropic Messages API on loopback: real wire format (JSON, SSE events, error bodies).

It rejects malformed requests the way Anthropic does (400 `invalid_request_error` with Anthropic's
messages): missing `max_tokens`/`model`, unknown top-level fields, a `system` role inside `messages`,
roles that do not alternate, empty text blocks, `tool_result` blocks without a matching `tool_use` in
the previous assistant turn, and a missing `x-api-key` (401) or `anthropic-version` (400). Content
blocks are checked field by field (unknown fields are "Extra inputs are not permitted"), `cache_control`
must be `{"type": "ephemeral"}` (optionally with `ttl`) on at most 4 blocks, and extended thinking is
enforced as Anthropic does: `thinking.budget_tokens` ≥ 1024 and below `max_tokens`; a `thinking` block
sent back needs the `signature` this fake issued for its text (`sign`), a `redacted_thinking` block
the `data` it issued (`REDACTED_DATA`); with thinking enabled, the assistant turn whose `tool_use` is
being answered must start with its thinking block.

With thinking enabled, answers start with a signed thinking block (streamed as `thinking_delta`s and
a `signature_delta`); `Reply(body=...)` sends any message, e.g. one with `redacted_thinking`.

    with FakeAnthropic("claude") as upstream:
        upstream.script(Reply(status=529), Reply(tool_calls=[ToolCall("toolu_1", "get_weather", {...})]))
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Reply, ToolCall

__all__ = ["REDACTED_DATA", "FakeAnthropic", "Reply", "ToolCall", "anthropic_error", "sign"]

REDACTED_DATA = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"
"""The opaque payload of the `redacted_thinking` blocks this fake issues (and accepts back)."""
_THINKING = "The user asks a question; let me reason about it before answering."
_BLOCK_FIELDS = {
    "text": {"type", "text", "cache_control", "citations"},
    "image": {"type", "source", "cache_control"},
    "tool_use": {"type", "id", "name", "input", "cache_control"},
    "tool_result": {"type", "tool_use_id", "content", "is_error", "cache_control"},
    "thinking": {"type", "thinking", "signature"},
    "redacted_thinking": {"type", "data"},
}
_MAX_CACHE_MARKS = 4


def sign(thinking: str) -> str:
    """The signature this fake gives a thinking text (Anthropic's are opaque; this one is checkable)."""
    return base64.b64encode(hashlib.sha256(b"fake-anthropic:" + thinking.encode()).digest()).decode()


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
        problem = _check_block(f"messages.{i}.content.{j}", block)
        if problem:
            return problem
        if block.get("type") == "text" and not block.get("text"):
            return "messages: text content blocks must be non-empty"
        if block.get("type") == "tool_result" and block.get("tool_use_id") not in used:
            return (
                f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )
    return None


def _check_block(where: str, block: Any) -> str | None:
    kind = block.get("type") if isinstance(block, dict) else None
    allowed = _BLOCK_FIELDS.get(kind or "")
    if allowed is None:
        return f"{where}: Input tag '{kind}' found using 'type' does not match any of the expected tags"
    extra = sorted(set(block) - allowed)
    if extra:
        return f"{where}.{kind}.{extra[0]}: Extra inputs are not permitted"
    if kind == "thinking":
        if not isinstance(block.get("signature"), str):
            return f"{where}.thinking.signature: Field required"
        if block["signature"] != sign(str(block.get("thinking", ""))):
            return f"{where}: Invalid `signature` in `thinking` block"
    if kind == "redacted_thinking" and block.get("data") != REDACTED_DATA:
        return f"{where}: Invalid `data` in `redacted_thinking` block"
    return _check_cache_control(where, block.get("cache_control"))


def _check_cache_control(where: str, mark: Any) -> str | None:
    if mark is None:
        return None
    if not isinstance(mark, dict) or mark.get("type") != "ephemeral":
        return f"{where}.cache_control.type: Input should be 'ephemeral'"
    extra = sorted(set(mark) - {"type", "ttl"})
    return f"{where}.cache_control.{extra[0]}: Extra inputs are not permitted" if extra else None


def cache_marks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every block of a request that carries `cache_control` (system, tools, message content)."""
    blocks: list[Any] = []
    for part in ("system", "tools"):
        if isinstance(body.get(part), list):
            blocks += body[part]
    for msg in body.get("messages") or ():
        if isinstance(msg, dict) and isinstance(msg.get("content"), list):
            blocks += msg["content"]
    return [b for b in blocks if isinstance(b, dict) and b.get("cache_control") is not None]


def thinking_enabled(body: dict[str, Any]) -> bool:
    """Whether the request enables extended thinking."""
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") == "enabled"


def _check_thinking(body: dict[str, Any]) -> str | None:
    thinking = body.get("thinking")
    if thinking is None:
        return None
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled"):
        return "thinking: Input tag found using 'type' does not match any of the expected tags"
    if thinking["type"] == "disabled":
        return None
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if budget >= body["max_tokens"]:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    return _check_thinking_first(body["messages"])


def _check_thinking_first(messages: list[Any]) -> str | None:
    """With thinking on, the assistant turn whose tool_use is being answered must open with its thinking."""
    if len(messages) < 2 or messages[-1].get("role") != "user":
        return None
    i = len(messages) - 2
    content = messages[i].get("content")
    if not isinstance(content, list) or not any(b.get("type") == "tool_use" for b in content):
        return None
    first = content[0].get("type")
    if first in ("thinking", "redacted_thinking"):
        return None
    return (
        f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. "
        "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
        "(preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include "
        "thinking blocks from previous turns. To avoid this requirement, disable `thinking`."
    )


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
    for where in ("system", "tools"):
        for j, item in enumerate(body.get(where) or ()):
            problem = _check_cache_control(f"{where}.{j}", item.get("cache_control"))
            if problem:
                return 400, problem
    problem = _check_turns(body["messages"]) or _check_thinking(body)
    if problem is None and len(cache_marks(body)) > _MAX_CACHE_MARKS:
        problem = f"A maximum of 4 blocks with cache_control may be provided. Found {len(cache_marks(body))}."
    return (400, problem) if problem else None


class FakeAnthropic(LoopbackServer):
    """Scriptable fake of `POST /v1/messages`.

    Prompt caching is imitated: the first request whose `cache_control` marks cover a given prefix
    reports `cache_creation_input_tokens: CACHED_TOKENS`, later ones `cache_read_input_tokens`.
    """

    CACHED_TOKENS = 2048

    def __init__(self, name: str = "fake", *, port: int = 0) -> None:
        self._cached: set[bytes] = set()
        super().__init__(name, port=port)

    def forget_requests(self) -> None:
        """Clear `requests` and the imitated prompt cache."""
        super().forget_requests()
        self._cached.clear()

    def _usage(self, body: dict[str, Any]) -> dict[str, Any]:
        usage: dict[str, Any] = {"input_tokens": 12, "output_tokens": 6}
        marks = cache_marks(body)
        if marks:
            prefix = msgspec.json.encode([body.get("system"), body.get("tools"), marks], order="sorted")
            key = hashlib.sha256(prefix).digest()
            with self._lock:
                hit = key in self._cached
                self._cached.add(key)
            usage["cache_read_input_tokens" if hit else "cache_creation_input_tokens"] = self.CACHED_TOKENS
        return usage

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
        # count_tokens takes no max_tokens: validate as a request whose max_tokens allows its thinking.
        as_request = body
        if isinstance(body, dict):
            thinking = body.get("thinking")
            budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
            as_request = {**body, "max_tokens": budget + 1 if isinstance(budget, int) else 1}
        refused = validate(request.headers, as_request)
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
        content: list[dict[str, Any]] = []
        if thinking_enabled(body):
            content.append({"type": "thinking", "thinking": _THINKING, "signature": sign(_THINKING)})
        if text:
            content.append({"type": "text", "text": text})
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
            "usage": reply.usage or self._usage(body),
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


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    deltas: list[dict[str, Any]] = []
    if block["type"] == "thinking":
        start: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], 16)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif block["type"] == "redacted_thinking":
        start = dict(block)
    elif block["type"] == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], 8)]
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
