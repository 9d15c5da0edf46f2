"""Running a parsed request through a route and shaping the executor's answer as an HTTP response.

Shared by the OpenAI endpoints (`routes.py`), the Anthropic front door (`messages.py`) and the
prompt API (`prompts.py`), which differ only in how they parse the request and encode the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import msgspec
from litestar.response.base import ASGIResponse

from gateway.errors import GatewayError, StreamBroken
from gateway.http.sse import SseResponse
from gateway.providers.base import ChatResult, EmbeddingResult
from gateway.runtime import LeafResult, LinkedRoute, RequestContext, Serving, StreamStart, error_event

__all__ = ["SHUTDOWN_MESSAGE", "execute", "json_response", "stream_response"]

_ENCODER = msgspec.json.Encoder()
_JSON = "application/json"
SHUTDOWN_MESSAGE = "the gateway is shutting down and its drain deadline passed; retry the request"
_SHUTDOWN_FRAME = error_event(StreamBroken(SHUTDOWN_MESSAGE, code="server_shutting_down", status=503))
"""Ends an OpenAI-shaped stream still open when graceful shutdown gives up waiting (`SseResponse`)."""


async def execute(
    serving: Serving,
    ctx: RequestContext,
    body: dict[str, Any],  # Any: OpenAI request JSON
    choose: Callable[[], LinkedRoute],
    extra_headers: Mapping[str, str] | None = None,
) -> LeafResult:
    """Pick the route and run the executor; an error leaves carrying the response headers so far."""
    try:
        return await serving.executor.run(serving.gateway, choose(), ctx, body)
    except GatewayError as exc:
        exc.headers = {**exc.headers, **ctx.response_headers(), **(extra_headers or {})}
        raise


def stream_response(
    start: StreamStart,
    ctx: RequestContext,
    headers: dict[str, str],
    frames: AsyncIterator[bytes],
    *,
    shutdown_frame: bytes = _SHUTDOWN_FRAME,
) -> SseResponse:
    """An event-stream response of `frames`, with the stream's headers added to `headers`;
    `shutdown_frame` is its last event if the drain deadline cuts it (OpenAI-shaped by default)."""
    headers.update(start.stream.headers)
    headers["cache-control"] = "no-cache"
    headers["x-accel-buffering"] = "no"  # proxies must not hold events back
    return SseResponse(
        iterator=frames,
        shutdown_frame=shutdown_frame,
        media_type="text/event-stream",
        headers=headers,
        status_code=ctx.status,
    )


def json_response(
    result: ChatResult | EmbeddingResult, ctx: RequestContext, headers: dict[str, str]
) -> ASGIResponse:
    """The result's body as sent upstream (raw bytes when kept), with its headers added to `headers`."""
    headers.update(result.headers)
    content = result.raw if result.raw is not None else _ENCODER.encode(result.body)
    return ASGIResponse(body=content, status_code=ctx.status, media_type=_JSON, headers=headers)
