"""Anthropic Messages API over HTTP: `POST {base}/v1/messages`, `x-api-key` and `anthropic-version`."""

from __future__ import annotations

import time

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import RequestError, UpstreamError
from gateway.providers.anthropic.response import chat_completion, parse_error, surfaced_headers
from gateway.providers.anthropic.stream import AnthropicStreamTranslator
from gateway.providers.anthropic.translate import build_request
from gateway.providers.anthropic.wire import ANTHROPIC_VERSION, MessagesResponse, TokenCount
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.chat_request import stream_usage_requested
from gateway.providers.exchange import Exchange, decode_reply, json_headers
from gateway.providers.translated_stream import open_translated_upstream
from gateway.providers.transport import HttpTransport, UpstreamReply, retry_after_seconds

__all__ = ["DEFAULT_BASE_URL", "AnthropicAdapter", "messages_url"]

DEFAULT_BASE_URL = "https://api.anthropic.com/v1"

_DECODE_MESSAGE = msgspec.json.Decoder(MessagesResponse)
_DECODE_COUNT = msgspec.json.Decoder(TokenCount)
_COUNTED = ("model", "messages", "system", "tools", "tool_choice", "thinking")


def messages_url(base_url: str) -> str:
    """Return the Messages endpoint for a base URL given with or without `/v1`."""
    base = base_url.rstrip("/")
    return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"


def _headers(call: ProviderCall) -> dict[str, str]:
    # The configured headers may override the version; the content type and the key always win.
    return {"anthropic-version": call.api_version or ANTHROPIC_VERSION, **json_headers(call, "x-api-key")}


def _error(call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
    return parse_error(
        reply.status,
        reply.body,
        reply.headers,
        provider=call.provider_id,
        retry_after_s=retry_after_seconds(reply.headers),
    )


class AnthropicAdapter:
    """Speaks Anthropic's Messages API for one provider spec (chat and streaming; no embeddings)."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._exchange = Exchange(transport, headers=_headers, error=_error)

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request through `/v1/messages`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        reply = await self._exchange.send(call, messages_url(call.base_url), body)
        message = decode_reply(
            _DECODE_MESSAGE,
            reply,
            provider=call.provider_id,
            unreadable="anthropic sent a response that is not JSON",
            unexpected="anthropic sent an unexpected message",
        )
        out, usage = chat_completion(message, created=int(time.time()), strict=strict)
        headers = {**surfaced_headers(reply.headers), **plan.headers()}
        return ChatResult(body=out, usage=usage, status=reply.status, headers=headers)

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open a streamed `/v1/messages` request; fails before returning if Anthropic refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=True)
        translator = AnthropicStreamTranslator(
            created=int(time.time()),
            include_usage=stream_usage_requested(call.body),
            strict=strict,
            provider=call.provider_id,
        )
        upstream = await self._exchange.open_stream(call, messages_url(call.base_url), body)
        headers = {**surfaced_headers(upstream.headers), **plan.headers()}
        return await open_translated_upstream(upstream, translator, headers=headers)

    async def count_tokens(self, call: ProviderCall) -> int:
        """Count a request's input tokens with `/v1/messages/count_tokens` (the front door's count_tokens).

        Translated leniently whatever the route: thinking blocks, `thinking` and cache hints count
        (Anthropic's own endpoint takes them), so the figure is the one the request will cost."""
        body, _ = build_request(call.body, strict=False)
        request = {k: body[k] for k in _COUNTED if k in body}
        reply = await self._exchange.send(call, messages_url(call.base_url) + "/count_tokens", request)
        unreadable = "anthropic sent an unreadable token count"
        return decode_reply(
            _DECODE_COUNT, reply, provider=call.provider_id, unreadable=unreadable
        ).input_tokens

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Refuse: Anthropic has no embeddings API."""
        raise RequestError(
            f"provider `{call.provider_id}` (anthropic) has no embeddings API; route embeddings elsewhere",
            param="model",
        )

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""
