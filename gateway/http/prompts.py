"""Portkey's prompt API: `POST /v1/prompts/{id}/completions` and `POST /v1/prompts/{id}/render`.

The body is `{"variables": {...}, "stream": bool, ...overrides}`; overrides are chat parameters
(`max_tokens`, `temperature`, …) that win over the prompt's defaults. A completion renders the
prompt, then runs the chat request through the prompt's own route with the same executor as
`/v1/chat/completions` (keys, guardrails, cache, budgets, fallback); an `x-portkey-config` header
does not change the route. Render answers Portkey's shape `{"success": true, "data": {...}}` with
the chat request it would send, without calling a model (keys still apply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, post
from litestar.handlers import BaseRouteHandler
from litestar.response.base import ASGIResponse

from gateway.errors import RequestError
from gateway.http.body import read_json
from gateway.http.dispatch import execute, json_response, stream_response
from gateway.runtime import RequestContext, Serving, StreamStart, parse_headers, sse_events
from gateway.runtime.linked import LinkedRoute
from gateway.runtime.prompts import PromptCatalog, RenderedPrompt
from gateway.runtime.stages import authenticate

if TYPE_CHECKING:
    from gateway.http.routes import HttpServices

__all__ = ["OVERRIDABLE_PARAMS", "build_prompt_handlers"]

OVERRIDABLE_PARAMS = frozenset(
    {
        "model",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "user",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "stream_options",
        "metadata",
    }
)
"""Chat parameters a prompt request may override (the `params` keys of a prompt manifest, and more)."""

_ENCODER = msgspec.json.Encoder()
_JSON = "application/json"
AnyRequest = Request[Any, Any, Any]  # Any: litestar's user/auth/state parameters are unused


def _split(body: dict[str, Any]) -> tuple[Any, dict[str, Any], bool]:  # Any: request JSON
    """(variables, overrides, stream) from a prompt request body; 400 naming a bad field."""
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise RequestError("`stream` must be a boolean", param="stream", code="invalid_type")
    overrides: dict[str, Any] = {}  # Any: JSON parameters
    for key, value in body.items():
        if key in ("variables", "stream"):
            continue
        if key == "messages":
            raise RequestError(
                "a prompt request takes `variables`, not `messages`",
                param="messages",
                code="invalid_parameter",
            )
        if key not in OVERRIDABLE_PARAMS:
            raise RequestError(
                f"unknown parameter `{key[:64]}` for a prompt request",
                param=key[:64],
                code="unknown_parameter",
            )
        overrides[key] = value
    return body.get("variables"), overrides, stream is True


def _route(serving: Serving, rendered: RenderedPrompt) -> LinkedRoute:
    route = serving.gateway.routes.get(rendered.spec.route)
    if route is None:  # the compiler checks the route exists; only a hand-made artifact gets here
        raise RequestError(f"prompt `{rendered.spec.id}` names no served route", code="unknown_route")
    return route


def _prompt_headers(rendered: RenderedPrompt) -> dict[str, str]:
    return {"x-gw-prompt": rendered.spec.id, "x-gw-prompt-version": rendered.spec.version}


async def _prepare(
    services: HttpServices, catalog: PromptCatalog, request: AnyRequest, prompt_id: str
) -> tuple[Serving, RequestContext, RenderedPrompt, dict[str, Any]]:  # Any: chat request JSON
    serving = services.holder.current
    headers = parse_headers(request.headers)
    body = await read_json(request, serving.gateway.compiled.policy.max_body_bytes)
    variables, overrides, stream = _split(body)
    rendered = catalog.book(serving.gateway.compiled).render(prompt_id, variables)
    chat = rendered.chat_body(overrides, stream=stream)
    ctx = RequestContext(headers=headers, endpoint="chat", params=chat, stream=stream)
    return serving, ctx, rendered, chat


async def _complete(
    services: HttpServices, catalog: PromptCatalog, request: AnyRequest, prompt_id: str
) -> ASGIResponse:
    serving, ctx, rendered, chat = await _prepare(services, catalog, request, prompt_id)
    prompt_headers = _prompt_headers(rendered)
    result = await execute(serving, ctx, chat, lambda: _route(serving, rendered), prompt_headers)
    out = {**ctx.response_headers(), **prompt_headers}
    if isinstance(result, StreamStart):
        return stream_response(result, ctx, out, sse_events(result, ctx, serving.executor.components))
    return json_response(result, ctx, out)


async def _render(
    services: HttpServices, catalog: PromptCatalog, request: AnyRequest, prompt_id: str
) -> ASGIResponse:
    serving, ctx, rendered, chat = await _prepare(services, catalog, request, prompt_id)
    route = _route(serving, rendered)
    await authenticate(serving.executor.components, route, ctx)
    payload = {
        "success": True,
        "data": chat,
        "prompt": {"id": rendered.spec.id, "version": rendered.spec.version, "route": rendered.spec.route},
    }
    headers = {"x-portkey-trace-id": ctx.trace_id, **_prompt_headers(rendered)}
    return ASGIResponse(body=_ENCODER.encode(payload), status_code=200, media_type=_JSON, headers=headers)


def build_prompt_handlers(services: HttpServices) -> list[BaseRouteHandler]:
    """The prompt endpoints bound to `services` (one prompt catalog per app)."""
    catalog = PromptCatalog()

    @post("/v1/prompts/{prompt_id:str}/completions", status_code=200)
    async def prompt_completions(request: AnyRequest) -> ASGIResponse:
        return await _complete(services, catalog, request, str(request.path_params["prompt_id"]))

    @post("/v1/prompts/{prompt_id:str}/render", status_code=200)
    async def prompt_render(request: AnyRequest) -> ASGIResponse:
        return await _render(services, catalog, request, str(request.path_params["prompt_id"]))

    return [prompt_completions, prompt_render]
