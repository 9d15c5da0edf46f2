"""The Anthropic-compatible front door: `POST /v1/messages` and `POST /v1/messages/count_tokens`.

An Anthropic-SDK request is translated into an OpenAI chat request and runs through the same route
selection and executor as `/v1/chat/completions` (guardrails, cache, budgets, fallback), to an
Anthropic target or translated to any other provider; the answer is translated back into an
Anthropic `message` or Anthropic stream events. Every error, including the gateway's own refusals,
is in Anthropic's shape (`{"type": "error", "error": {"type", "message"}}`) with the error's status.

The client's `x-api-key` counts as its bearer token when there is no `Authorization` header, so an
Anthropic SDK client can send a gw key (or, with `x-portkey-provider`, a provider key) the usual way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, post
from litestar.handlers import BaseRouteHandler
from litestar.response.base import ASGIResponse

from compiler.specs import LeafSpec, NodeSpec
from gateway.errors import GatewayError, GuardrailDenied, RequestError
from gateway.http.body import check_chat, read_json
from gateway.http.dispatch import SHUTDOWN_MESSAGE, execute, stream_response
from gateway.providers.anthropic.inbound import (
    chat_request_from_messages,
    error_body,
    message_from_completion,
)
from gateway.providers.anthropic.inbound_stream import AnthropicEventStream, Event, encode_event
from gateway.providers.base import ChatResult, ProviderCall
from gateway.runtime import RequestContext, Serving, StreamStart, parse_headers, sse_events
from gateway.runtime.attempts import build_body
from gateway.runtime.linked import LinkedRoute

if TYPE_CHECKING:
    from gateway.http.routes import HttpServices

__all__ = ["build_messages_handlers", "translate_events"]

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()
_JSON = "application/json"
_SHUTDOWN_EVENT = encode_event(
    ("error", {"type": "error", "error": {"type": "overloaded_error", "message": SHUTDOWN_MESSAGE}})
)
"""Ends a Messages stream still open at the drain deadline (Anthropic's shape for "retry later")."""
AnyRequest = Request[Any, Any, Any]  # Any: litestar's user/auth/state parameters are unused


def _headers(request: AnyRequest) -> Mapping[str, str]:
    """Request headers, with `x-api-key` standing in for a missing `Authorization`."""
    headers = request.headers
    api_key = headers.get("x-api-key")
    if api_key and not headers.get("authorization"):
        return {**dict(headers), "authorization": f"Bearer {api_key}"}
    return headers


def _error(exc: GatewayError) -> ASGIResponse:
    body = error_body(exc)
    if isinstance(exc, GuardrailDenied):
        body["hook_results"] = exc.hook_results
    headers = dict(exc.headers)
    retry_after = getattr(exc, "retry_after_s", None)
    if isinstance(retry_after, int | float):
        headers.setdefault("retry-after", str(max(0, round(retry_after))))
    return ASGIResponse(body=_ENCODER.encode(body), status_code=exc.status, media_type=_JSON, headers=headers)


async def _messages(serving: Serving, request: AnyRequest) -> ASGIResponse:
    headers = parse_headers(_headers(request))
    raw = await read_json(request, serving.gateway.compiled.policy.max_body_bytes)
    body = chat_request_from_messages(raw)
    stream = check_chat(body)
    ctx = RequestContext(headers=headers, endpoint="chat", params=body, stream=stream)
    result = await execute(serving, ctx, body, lambda: serving.selector.select(headers))
    out_headers = ctx.response_headers()
    if isinstance(result, StreamStart):
        events = sse_events(result, ctx, serving.executor.components)
        frames = translate_events(events, ctx, model=str(body["model"]))
        return stream_response(result, ctx, out_headers, frames, shutdown_frame=_SHUTDOWN_EVENT)
    if not isinstance(result, ChatResult):  # the chat endpoint only yields chats and streams
        raise RequestError("the route answered with something that is not a chat completion")
    out_headers.update(result.headers)
    message = message_from_completion(result.body, result.usage)
    if ctx.status == 246:
        message["hook_results"] = ctx.hook_results
    return ASGIResponse(
        body=_ENCODER.encode(message), status_code=ctx.status, media_type=_JSON, headers=out_headers
    )


def _payloads(data: bytes) -> list[bytes]:
    """The `data:` payloads of one or more SSE frames written by `sse_events`."""
    out = []
    for frame in data.split(b"\n\n"):
        if frame.startswith(b"data: "):
            out.append(frame[6:])
    return out


def _error_event(payload: dict[str, Any]) -> Event:  # Any: the OpenAI-shaped terminal error event
    error = payload.get("error") or {}
    # Mid-stream failures (a broken upstream, a guardrail deny) are Anthropic `api_error`s.
    body: dict[str, Any] = {"type": "error", "error": {"type": "api_error", "message": error.get("message")}}
    if "hook_results" in payload:
        body["hook_results"] = payload["hook_results"]
    return ("error", body)


async def translate_events(
    frames: AsyncIterator[bytes], ctx: RequestContext, *, model: str
) -> AsyncIterator[bytes]:
    """Turn the OpenAI SSE frames of a committed stream into Anthropic stream events.

    A terminal error frame becomes an `error` event; the guardrail verdict frame that ends a checked
    stream becomes a `hook_results` event (the Anthropic SDK ignores event names it does not know).
    """
    events = AnthropicEventStream(model=model)
    done = False
    try:
        async for data in frames:
            out: list[Event] = []
            for payload in _payloads(data):
                if payload == b"[DONE]":
                    done = True
                    continue
                value: Any = _DECODER.decode(payload)  # Any: OpenAI chunk or error JSON
                if "hook_results" in value and value.get("choices") == []:
                    out.append(("hook_results", {"type": "hook_results", **value}))
                elif "error" in value and "choices" not in value:
                    out.append(_error_event(value))
                else:
                    out += events.feed(value)
            if out:
                yield b"".join(encode_event(e) for e in out)
    finally:
        aclose = getattr(frames, "aclose", None)
        if aclose is not None:
            await aclose()
    if done:  # sse_events has finished: ctx.usage holds the stream's usage
        yield b"".join(encode_event(e) for e in events.finish(ctx.usage))


def _timeout_ms(route: LinkedRoute, leaf: LeafSpec, provider_ms: int | None) -> int:
    return leaf.request_timeout_ms or provider_ms or route.default_timeout_ms


def _leaves(node: NodeSpec) -> list[LeafSpec]:
    if isinstance(node, LeafSpec):
        return [node]
    return [leaf for target in node.targets for leaf in _leaves(target)]


async def _count_tokens(serving: Serving, request: AnyRequest) -> ASGIResponse:
    headers = parse_headers(_headers(request))
    raw = await read_json(request, serving.gateway.compiled.policy.max_body_bytes)
    body = chat_request_from_messages({"max_tokens": 1, **raw})
    body.pop("max_tokens", None)
    route = serving.selector.select(headers)
    call = await _counting_call(serving, route, body, headers.trace_id)
    counter = route.providers[call.provider_id].adapter.count_tokens  # type: ignore[attr-defined]
    tokens = await counter(call)
    return ASGIResponse(
        body=_ENCODER.encode({"input_tokens": int(tokens)}),
        media_type=_JSON,
        headers={"x-gw-route": route.spec.id},
    )


async def _counting_call(
    serving: Serving, route: LinkedRoute, body: dict[str, Any], trace_id: str
) -> ProviderCall:  # Any: OpenAI request JSON
    """The call for the route's first target whose provider can count tokens (Anthropic's)."""
    for leaf in _leaves(route.spec.root):
        provider = route.providers.get(leaf.provider)
        if provider is None or not hasattr(provider.adapter, "count_tokens"):
            continue
        base_url = provider.base_url
        if leaf.custom_host is not None:
            if route.untrusted_hosts:
                await serving.gateway.host_guard.check(leaf.custom_host)
            base_url = leaf.custom_host.rstrip("/")
        return ProviderCall(
            provider_id=provider.spec.id,
            body=build_body(body, leaf, provider),
            base_url=base_url,
            api_key=provider.api_key,
            headers=dict(provider.headers),
            timeout_s=_timeout_ms(route, leaf, provider.spec.timeout_ms) / 1000,
            api_version=provider.spec.api_version,
            trace_id=trace_id,
        )
    raise RequestError(
        f"route `{route.spec.id}` has no target that can count tokens (count_tokens needs an anthropic "
        "provider)",
        code="unsupported_endpoint",
    )


def build_messages_handlers(services: HttpServices) -> list[BaseRouteHandler]:
    """The front door's handlers bound to `services`; errors answer in Anthropic's shape."""

    @post("/v1/messages", status_code=200)
    async def messages(request: AnyRequest) -> ASGIResponse:
        try:
            return await _messages(services.holder.current, request)
        except GatewayError as exc:
            return _error(exc)

    @post("/v1/messages/count_tokens", status_code=200)
    async def count_tokens(request: AnyRequest) -> ASGIResponse:
        try:
            return await _count_tokens(services.holder.current, request)
        except GatewayError as exc:
            return _error(exc)

    return [messages, count_tokens]
