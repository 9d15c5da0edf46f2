"""Route handlers, built as closures over typed services (no module globals, no per-request lookup)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import BaseRouteHandler
from litestar.response.base import ASGIResponse

from gateway.errors import AuthError, GatewayError, NotFound
from gateway.http.admin_keys import StorageGetter, admin_key_handlers
from gateway.http.body import check_chat, check_completion, check_embedding, read_json
from gateway.http.dispatch import execute, json_response, stream_response
from gateway.http.messages import build_messages_handlers
from gateway.http.prompts import build_prompt_handlers
from gateway.http.ui import ui_handlers
from gateway.runtime import (
    Endpoint,
    GatewayHolder,
    RequestContext,
    StreamStart,
    parse_headers,
    sse_events,
)
from gateway.telemetry import Telemetry

__all__ = ["HttpServices", "build_route_handlers"]

_ENCODER = msgspec.json.Encoder()
_JSON = "application/json"
AnyRequest = Request[Any, Any, Any]  # Any: litestar's user/auth/state parameters are unused


@dataclass(slots=True)
class HttpServices:
    """What the handlers need: the current config (with its executor), admin hooks, metrics."""

    holder: GatewayHolder
    admin_token: str | None = None
    reload: Callable[[], Awaitable[dict[str, Any]]] | None = None  # Any: JSON report
    telemetry: Telemetry | None = None
    readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None
    """Required dependencies and whether each answers; any False makes `/ready` a 503."""
    fallbacks: Callable[[], Awaitable[dict[str, dict[str, Any]]]] | None = None  # Any: JSON report
    """Shared dependencies, whether each answers and what the gateway does without it (`/ready`)."""
    storage: StorageGetter | None = None
    """Live storage handles for `/admin/keys` and `/admin/usage` (404 when None or returning None)."""


def _json(content: object, status: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=_ENCODER.encode(content), status_code=status, media_type=_JSON, headers=headers)


async def _context(request: AnyRequest, endpoint: Endpoint, max_body_bytes: int) -> RequestContext:
    """Parse the headers and body; a rejection still says the cache was not involved."""
    try:
        headers = parse_headers(request.headers)
        body = await read_json(request, max_body_bytes)
        if endpoint == "chat":
            stream = check_chat(body)
        elif endpoint == "completions":
            stream = check_completion(body)
        else:
            check_embedding(body)
            stream = False
    except GatewayError as exc:
        exc.headers = {**exc.headers, "x-portkey-cache-status": "DISABLED"}
        raise
    return RequestContext(headers=headers, endpoint=endpoint, params=body, stream=stream)


async def _serve(services: HttpServices, request: AnyRequest, endpoint: Endpoint) -> ASGIResponse:
    serving = services.holder.current
    ctx = await _context(request, endpoint, serving.gateway.compiled.policy.max_body_bytes)
    result = await execute(serving, ctx, ctx.params, lambda: serving.selector.select(ctx.headers))
    out_headers = ctx.response_headers()
    if isinstance(result, StreamStart):
        frames = sse_events(result, ctx, serving.executor.components)
        return stream_response(result, ctx, out_headers, frames)
    return json_response(result, ctx, out_headers)


def _check_admin(services: HttpServices, request: AnyRequest) -> None:
    token = services.admin_token
    if not token:
        raise NotFound("admin endpoints are disabled (set GW_ADMIN_TOKEN)")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise AuthError("admin endpoints need `Authorization: Bearer $GW_ADMIN_TOKEN`")


def _models(services: HttpServices) -> dict[str, Any]:  # Any: JSON
    compiled = services.holder.current.gateway.compiled
    seen: dict[str, str] = {}
    for provider in compiled.providers:
        for model in (*provider.models, *((provider.default_model,) if provider.default_model else ())):
            seen.setdefault(model, provider.id)
    data = [
        {"id": m, "object": "model", "created": 0, "owned_by": owner} for m, owner in sorted(seen.items())
    ]
    return {"object": "list", "data": data}


def build_route_handlers(services: HttpServices) -> list[BaseRouteHandler]:
    """The gateway's route handlers bound to `services`."""

    @post("/v1/chat/completions", status_code=200)
    async def chat_completions(request: AnyRequest) -> ASGIResponse:
        return await _serve(services, request, "chat")

    @post("/v1/completions", status_code=200)
    async def completions(request: AnyRequest) -> ASGIResponse:
        return await _serve(services, request, "completions")

    @post("/v1/embeddings", status_code=200)
    async def embeddings(request: AnyRequest) -> ASGIResponse:
        return await _serve(services, request, "embeddings")

    @get("/v1/models")
    async def models() -> Response[bytes]:
        return _json(_models(services))

    @get("/health")
    async def health() -> Response[bytes]:
        return _json({"status": "ok"})

    @get("/ready")
    async def ready() -> Response[bytes]:
        gateway = services.holder.current.gateway
        checks = await services.readiness() if services.readiness is not None else {}
        ok = all(checks.values())
        body = {
            "status": "ready" if ok else "not_ready",
            "config_hash": gateway.config_hash,
            "routes": sorted(gateway.routes),
            "dependencies": checks,
            "fallbacks": await services.fallbacks() if services.fallbacks is not None else {},
        }
        return _json(body, status=200 if ok else 503)

    @get("/metrics")
    async def metrics() -> Response[bytes]:
        if services.telemetry is None:
            raise NotFound("metrics are disabled")
        body, content_type = services.telemetry.render_metrics()
        return Response(content=body, media_type=content_type)

    handlers = [chat_completions, completions, embeddings, models, health, ready, metrics]
    keys = admin_key_handlers(services.storage, lambda request: _check_admin(services, request))
    return [
        *handlers,
        *build_messages_handlers(services),
        *build_prompt_handlers(services),
        *_admin_handlers(services),
        *keys,
        *ui_handlers(services),
    ]


def _admin_handlers(services: HttpServices) -> list[BaseRouteHandler]:
    @post("/admin/reload", status_code=200)
    async def admin_reload(request: AnyRequest) -> Response[bytes]:
        _check_admin(services, request)
        if services.reload is None:
            raise NotFound("reload is not configured (no config directory)")
        report = await services.reload()
        return _json(report, status=200 if report.get("ok") else 422)

    @get("/admin/breakers")
    async def admin_breakers(request: AnyRequest) -> Response[bytes]:
        _check_admin(services, request)
        return _json({"breakers": services.holder.current.gateway.breakers.snapshot()})

    @get("/admin/config")
    async def admin_config(request: AnyRequest) -> Response[bytes]:
        _check_admin(services, request)
        gateway = services.holder.current.gateway
        return _json(
            {
                "config_hash": gateway.config_hash,
                "generation": services.holder.generation,
                "pid": os.getpid(),
                "routes": sorted(gateway.routes),
                "providers": sorted(gateway.providers),
            }
        )

    return [admin_reload, admin_breakers, admin_config]
