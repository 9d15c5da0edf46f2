"""Gemini API over HTTP: `models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
`:batchEmbedContents`, authenticated with the `x-goog-api-key` header (never a `?key=` query string,
which would put the secret into URLs and logs)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import UpstreamError
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.chat_request import stream_usage_requested
from gateway.providers.embeddings import embedding_inputs, embeddings_body
from gateway.providers.exchange import Exchange, decode_reply, json_headers
from gateway.providers.gemini.response import chat_completion, parse_error
from gateway.providers.gemini.stream import GeminiStreamTranslator
from gateway.providers.gemini.translate import build_embed_request, build_request, model_path
from gateway.providers.gemini.wire import BatchEmbedResponse, GenerateContentResponse
from gateway.providers.translated_stream import open_translated_upstream
from gateway.providers.transport import HttpTransport, UpstreamReply, retry_after_seconds
from gateway.usage import Usage

__all__ = ["DEFAULT_BASE_URL", "GeminiAdapter"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"

_DECODE_RESPONSE = msgspec.json.Decoder(GenerateContentResponse)
_DECODE_EMBEDDINGS = msgspec.json.Decoder(BatchEmbedResponse)
_SURFACED = ("retry-after", "x-goog-request-id")


def _headers(call: ProviderCall) -> dict[str, str]:
    return json_headers(call, "x-goog-api-key")


def _surfaced(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in _SURFACED if name in headers}


def _error(call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
    return parse_error(
        reply.status,
        reply.body,
        provider=call.provider_id,
        retry_after_s=retry_after_seconds(reply.headers),
        headers=_surfaced(reply.headers),
    )


def _model_url(call: ProviderCall, method: str) -> str:
    return f"{call.base_url.rstrip('/')}/{model_path(call.body.get('model'))}:{method}"


class GeminiAdapter:
    """Speaks the Gemini API for one provider spec: chat, streaming and embeddings."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._exchange = Exchange(transport, headers=_headers, error=_error)

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request with `generateContent`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        reply = await self._exchange.send(call, _model_url(call, "generateContent"), body)
        unreadable = "gemini sent an unreadable response"
        decoded = decode_reply(_DECODE_RESPONSE, reply, provider=call.provider_id, unreadable=unreadable)
        model = str(call.body.get("model"))
        out, usage = chat_completion(decoded, model=model, created=int(time.time()), strict=strict)
        headers = {**_surfaced(reply.headers), **plan.headers()}
        return ChatResult(body=out, usage=usage, status=reply.status, headers=headers)

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open `streamGenerateContent?alt=sse`; fails before returning if Gemini refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        url = _model_url(call, "streamGenerateContent?alt=sse")
        translator = GeminiStreamTranslator(
            model=str(call.body.get("model")),
            created=int(time.time()),
            include_usage=stream_usage_requested(call.body),
            strict=strict,
            provider=call.provider_id,
        )
        upstream = await self._exchange.open_stream(call, url, body)
        headers = {**_surfaced(upstream.headers), **plan.headers()}
        return await open_translated_upstream(upstream, translator, headers=headers)

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Create embeddings with `batchEmbedContents` (one request item per input)."""
        inputs = embedding_inputs(call.body, "gemini")
        body = build_embed_request(call.body, inputs)
        reply = await self._exchange.send(call, _model_url(call, "batchEmbedContents"), body)
        unreadable = "gemini sent unreadable embeddings"
        decoded = decode_reply(_DECODE_EMBEDDINGS, reply, provider=call.provider_id, unreadable=unreadable)
        # Gemini reports no token counts for embeddings: usage stays zero rather than being guessed.
        out = embeddings_body(
            [e.values for e in decoded.embeddings],
            model=str(call.body.get("model")),
            encoding_format=call.body.get("encoding_format"),
            prompt_tokens=0,
        )
        return EmbeddingResult(body=out, usage=Usage(), status=reply.status, headers=_surfaced(reply.headers))

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""
