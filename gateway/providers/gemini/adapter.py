"""Gemini API over HTTP: `models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
`:batchEmbedContents`, authenticated with the `x-goog-api-key` header (never a `?key=` query string,
which would put the secret into URLs and logs)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.embeddings import embedding_inputs, embeddings_body
from gateway.providers.gemini.response import chat_completion, parse_error
from gateway.providers.gemini.stream import GeminiStreamTranslator
from gateway.providers.gemini.translate import build_embed_request, build_request, model_path
from gateway.providers.gemini.wire import BatchEmbedResponse, GenerateContentResponse
from gateway.providers.translated_stream import open_translated
from gateway.providers.transport import HttpTransport, iter_sse_batches, retry_after_seconds
from gateway.usage import Usage

__all__ = ["DEFAULT_BASE_URL", "GeminiAdapter"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"

_ENCODE = msgspec.json.Encoder()
_DECODE_RESPONSE = msgspec.json.Decoder(GenerateContentResponse)
_DECODE_EMBEDDINGS = msgspec.json.Decoder(BatchEmbedResponse)
_SURFACED = ("retry-after", "x-goog-request-id")


def _headers(call: ProviderCall) -> dict[str, str]:
    headers = {**call.headers, "content-type": "application/json"}
    if call.api_key:
        headers["x-goog-api-key"] = call.api_key
    return headers


def _surfaced(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in _SURFACED if name in headers}


def _error(status: int, body: bytes, headers: Mapping[str, str], call: ProviderCall) -> UpstreamError:
    return parse_error(
        status,
        body,
        provider=call.provider_id,
        retry_after_s=retry_after_seconds(headers),
        headers=_surfaced(headers),
    )


class GeminiAdapter:
    """Speaks the Gemini API for one provider spec: chat, streaming and embeddings."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._transport = transport

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request with `generateContent`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        url = f"{call.base_url.rstrip('/')}/{model_path(call.body.get('model'))}:generateContent"
        reply = await self._transport.send(
            url, _ENCODE.encode(body), _headers(call), timeout_s=call.timeout_s, provider=call.provider_id
        )
        if not reply.ok:
            raise _error(reply.status, reply.body, reply.headers, call)
        try:
            decoded = _DECODE_RESPONSE.decode(reply.body)
        except msgspec.DecodeError:
            raise UpstreamUnavailable(
                "gemini sent an unreadable response", provider=call.provider_id
            ) from None
        model = str(call.body.get("model"))
        out, usage = chat_completion(decoded, model=model, created=int(time.time()), strict=strict)
        headers = {**_surfaced(reply.headers), **plan.headers()}
        return ChatResult(body=out, usage=usage, status=reply.status, headers=headers)

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open `streamGenerateContent?alt=sse`; fails before returning if Gemini refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict)
        path = model_path(call.body.get("model"))
        upstream = await self._transport.open_stream(
            f"{call.base_url.rstrip('/')}/{path}:streamGenerateContent?alt=sse",
            _ENCODE.encode(body),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not 200 <= upstream.status < 300:
            raise _error(upstream.status, await upstream.read_all(), upstream.headers, call)
        options = call.body.get("stream_options") or {}
        translator = GeminiStreamTranslator(
            model=str(call.body.get("model")),
            created=int(time.time()),
            include_usage=bool(options.get("include_usage")),
            strict=strict,
            provider=call.provider_id,
        )
        return await open_translated(
            iter_sse_batches(upstream),
            translator,
            headers={**_surfaced(upstream.headers), **plan.headers()},
            close=upstream.aclose,
            provider=call.provider_id,
        )

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Create embeddings with `batchEmbedContents` (one request item per input)."""
        inputs = embedding_inputs(call.body, "gemini")
        body = build_embed_request(call.body, inputs)
        url = f"{call.base_url.rstrip('/')}/{model_path(call.body.get('model'))}:batchEmbedContents"
        reply = await self._transport.send(
            url, _ENCODE.encode(body), _headers(call), timeout_s=call.timeout_s, provider=call.provider_id
        )
        if not reply.ok:
            raise _error(reply.status, reply.body, reply.headers, call)
        try:
            decoded = _DECODE_EMBEDDINGS.decode(reply.body)
        except msgspec.DecodeError:
            raise UpstreamUnavailable(
                "gemini sent unreadable embeddings", provider=call.provider_id
            ) from None
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
