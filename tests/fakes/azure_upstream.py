"""A fake Azure OpenAI resource on loopback: deployment URLs, `api-version`, `api-key`, Azure's extras.

Like Azure it answers 401 without a valid `api-key`, 404 `Resource not found` without a known
`api-version`, 404 `DeploymentNotFound` for an unknown deployment, and adds `prompt_filter_results` /
`content_filter_results` to completions (streams start with a chunk that has no choices, only the prompt
filter results). Errors use Azure's shape: OpenAI's, with `code` as a string.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Reply, ToolCall

__all__ = ["API_KEY", "FakeAzureOpenAI", "Reply", "ToolCall", "azure_error"]

API_KEY = "azure-test-key"
_VERSIONS = {"2024-02-01", "2024-06-01", "2024-10-21", "2025-01-01-preview"}
_FILTERS = {
    name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")
}


def azure_error(status: int, message: str | None = None, code: str | None = None) -> dict[str, Any]:
    """Azure's error body."""
    return {"error": {"code": code or str(status), "message": message or f"fake azure error {status}"}}


class FakeAzureOpenAI(LoopbackServer):
    """Scriptable fake of an Azure OpenAI resource with a fixed set of deployments."""

    def __init__(
        self, name: str = "azure", *, deployments: tuple[str, ...] = ("gpt-4o-prod", "embed-prod")
    ) -> None:
        super().__init__(name)
        self.deployments = set(deployments)

    @property
    def url(self) -> str:
        """The resource endpoint (what the Azure portal shows)."""
        return self.base_url

    def add_routes(self, app: web.Application) -> None:
        """Register the deployment routes."""
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._chat)
        app.router.add_post("/openai/deployments/{deployment}/embeddings", self._embeddings)

    def _refuse(self, request: web.Request) -> web.Response | None:
        if request.headers.get("api-key") != API_KEY:
            message = (
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
                "a valid key for an active subscription and use a correct regional API endpoint for your "
                "resource."
            )
            return web.json_response(azure_error(401, message), status=401)
        if request.query.get("api-version") not in _VERSIONS:
            return web.json_response(azure_error(404, "Resource not found"), status=404)
        if request.match_info["deployment"] not in self.deployments:
            message = (
                "The API deployment for this resource does not exist. If you created the deployment within "
                "the last 5 minutes, please wait a moment and try again."
            )
            return web.json_response(azure_error(404, message, "DeploymentNotFound"), status=404)
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        refused = self._refuse(request)
        if refused is not None:
            return refused
        reply = self.next_reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status >= 400:
            return web.json_response(
                reply.body or azure_error(reply.status), status=reply.status, headers=reply.headers
            )
        completion = reply.body or self.completion(reply, request.match_info["deployment"])
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await self.stream(request, _chunks(completion, include_usage), reply)
        return web.json_response(completion, headers=reply.headers)

    def completion(self, reply: Reply, deployment: str) -> dict[str, Any]:
        """Render a reply as Azure's chat.completion (with its content-filter annotations)."""
        text = reply.text if reply.text is not None else f"hello from {self.name}"
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": msgspec.json.encode(c.arguments).decode()},
                }
                for c in reply.tool_calls
            ]
        finish = reply.finish or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": "chatcmpl-AzureFake1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "gpt-4o-2024-11-20",
            "system_fingerprint": "fp_azure",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _FILTERS}],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish,
                    "content_filter_results": _FILTERS,
                }
            ],
            "usage": reply.usage
            or {
                "prompt_tokens": 18,
                "completion_tokens": 5,
                "total_tokens": 23,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        }

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        refused = self._refuse(request)
        if refused is not None:
            return refused
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or ())
        size = body.get("dimensions") or 3
        data = [{"object": "embedding", "index": i, "embedding": [0.5] * size} for i in range(len(items))]
        usage = {"prompt_tokens": 2 * len(items), "total_tokens": 2 * len(items)}
        return web.json_response(
            {"object": "list", "data": data, "model": "text-embedding-3-small", "usage": usage}
        )


def _sse(item: dict[str, Any]) -> bytes:
    return b"data: " + msgspec.json.encode(item) + b"\n\n"


def _chunks(completion: dict[str, Any], include_usage: bool) -> list[bytes]:
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
    }
    first = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": completion["prompt_filter_results"],
    }
    out = [_sse(first)]

    def choice(delta: dict[str, Any], finish: str | None = None) -> bytes:
        item = {
            "index": 0,
            "delta": delta,
            "finish_reason": finish,
            "logprobs": None,
            "content_filter_results": _FILTERS,
        }
        return _sse({**base, "choices": [item]})

    message = completion["choices"][0]["message"]
    out.append(choice({"role": "assistant", "content": ""}))
    text = message.get("content") or ""
    out += [choice({"content": text[i : i + 7]}) for i in range(0, len(text), 7)]
    for i, call in enumerate(message.get("tool_calls") or ()):
        out.append(choice({"tool_calls": [{"index": i, **call}]}))
    out.append(choice({}, completion["choices"][0]["finish_reason"]))
    if include_usage:
        out.append(_sse({**base, "choices": [], "usage": completion["usage"]}))
    out.append(b"data: [DONE]\n\n")
    return out
