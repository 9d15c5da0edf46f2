"""Anthropic Messages API over HTTP: `POST {base}/v1/messages`, `x-api-key` and `anthropic-version`."""

from __future__ import annotations

import time
from collections.abc import Mapping

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import RequestError, UpstreamError, UpstreamUnavailable
from gateway.providers.anthropic.response import chat_completion, parse_error, surfaced_headers
from gateway.providers.anthropic.stream import AnthropicStreamTranslator
from gateway.providers.anthropic.translate import build_request
from gateway.providers.anthropic.wire import ANTHROPIC_VERSION, MessagesResponse, TokenCount
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.translated_stream import open_translated
from gateway.providers.transport import HttpTransport, UpstreamReply, iter_sse_batches, retry_after_seconds

__all__ = ["DEFAULT_BASE_URL", "AnthropicAdapter", "messages_url"]

DEFAULT_BASE_URL = "https://api.anthropic.com/v1"

_ENCODE = msgspec.json.Encoder()
_DECODE_MESSAGE = msgspec.json.Decoder(MessagesResponse)
_DECODE_COUNT = msgspec.json.Decoder(TokenCount)
_COUNTED = ("model", "messages", "system", "tools", "tool_choice")


def messages_url(base_url: str) -> str:
    """Return the Messages endpoint for a base URL given with or without `/v1`."""
    base = base_url.rstrip("/")
    return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"


def _headers(call: ProviderCall) -> dict[str, str]:
    headers = {"anthropic-version": call.api_version or ANTHROPIC_VERSION, **call.headers}
    headers["content-type"] = "application/json"
    if call.api_key:
        headers["x-api-key"] = call.api_key
    return headers


def _error(status: int, body: bytes, headers: Mapping[str, str], call: ProviderCall) -> UpstreamError:
    return parse_error(
        status, body, headers, provider=call.provider_id, retry_after_s=retry_after_seconds(headers)
    )


class AnthropicAdapter:
    """Speaks Anthropic's Messages API for one provider spec (chat and streaming; no embeddings)."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._transport = transport

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request through `/v1/messages`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        reply = await self._transport.send(
            messages_url(call.base_url),
            _ENCODE.encode(body),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not reply.ok:
            raise _error(reply.status, reply.body, reply.headers, call)
        message = _decode(reply, call.provider_id)
        out, usage = chat_completion(message, created=int(time.time()), strict=strict)
        headers = {**surfaced_headers(reply.headers), **plan.headers()}
        return ChatResult(body=out, usage=usage, status=reply.status, headers=headers)

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open a streamed `/v1/messages` request; fails before returning if Anthropic refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=True)
        upstream = await self._transport.open_stream(
            messages_url(call.base_url),
            _ENCODE.encode(body),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not 200 <= upstream.status < 300:
            raise _error(upstream.status, await upstream.read_all(), upstream.headers, call)
        options = call.body.get("stream_options") or {}
        translator = AnthropicStreamTranslator(
            created=int(time.time()),
            include_usage=bool(options.get("include_usage")),
            strict=strict,
            provider=call.provider_id,
        )
        return await open_translated(
            iter_sse_batches(upstream),
            translator,
            headers={**surfaced_headers(upstream.headers), **plan.headers()},
            close=upstream.aclose,
            provider=call.provider_id,
        )

    async def count_tokens(self, call: ProviderCall) -> int:
        """Count a request's input tokens with `/v1/messages/count_tokens` (the front door's count_tokens)."""
        body, _ = build_request(call.body, strict=True)
        request = {k: body[k] for k in _COUNTED if k in body}
        reply = await self._transport.send(
            messages_url(call.base_url) + "/count_tokens",
            _ENCODE.encode(request),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not reply.ok:
            raise _error(reply.status, reply.body, reply.headers, call)
        try:
            return _DECODE_COUNT.decode(reply.body).input_tokens
        except msgspec.DecodeError:
            raise UpstreamUnavailable(
                "anthropic sent an unreadable token count", provider=call.provider_id
            ) from None

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Refuse: Anthropic has no embeddings API."""
        raise RequestError(
            f"provider `{call.provider_id}` (anthropic) has no embeddings API; route embeddings elsewhere",
            param="model",
        )

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""


def _decode(reply: UpstreamReply, provider: str) -> MessagesResponse:
    try:
        return _DECODE_MESSAGE.decode(reply.body)
    except msgspec.ValidationError as exc:
        raise UpstreamUnavailable(f"anthropic sent an unexpected message: {exc}", provider=provider) from None
    except msgspec.DecodeError:
        raise UpstreamUnavailable("anthropic sent a response that is not JSON", provider=provider) from None
