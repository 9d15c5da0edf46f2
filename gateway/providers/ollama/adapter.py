"""Ollama's native API over HTTP: `POST /api/chat` (NDJSON streaming) and `POST /api/embed`; no key.

For Ollama's OpenAI-compatible endpoint (`/v1/chat/completions`) use an `openai-compatible` provider
with `base_url: http://<host>:11434/v1` instead; this adapter speaks the native API.
"""

from __future__ import annotations

import time

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import UpstreamUnavailable
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.compliance import plan_params
from gateway.providers.embeddings import embedding_inputs, embeddings_body
from gateway.providers.ollama.stream import OllamaStreamTranslator, iter_ndjson_batches
from gateway.providers.ollama.translate import build_request, chat_completion, parse_error
from gateway.providers.ollama.wire import ChatResponse, EmbedRequest, EmbedResponse
from gateway.providers.translated_stream import open_translated
from gateway.providers.transport import HttpTransport
from gateway.usage import Usage

__all__ = ["DEFAULT_BASE_URL", "OllamaAdapter", "api_url"]

DEFAULT_BASE_URL = "http://localhost:11434"

_ENCODE = msgspec.json.Encoder()
_DECODE_CHAT = msgspec.json.Decoder(ChatResponse)
_DECODE_EMBED = msgspec.json.Decoder(EmbedResponse)
_EMBED_FIELDS = ("model", "input", "encoding_format", "dimensions")


def api_url(base_url: str, endpoint: str) -> str:
    """Return `<base>/api/<endpoint>` for a base URL given with or without `/api`."""
    base = base_url.rstrip("/")
    return f"{base}/{endpoint}" if base.endswith("/api") else f"{base}/api/{endpoint}"


def _headers(call: ProviderCall) -> dict[str, str]:
    headers = {**call.headers, "content-type": "application/json"}
    if call.api_key:  # Ollama itself needs none; a reverse proxy in front of it may.
        headers["authorization"] = f"Bearer {call.api_key}"
    return headers


class OllamaAdapter:
    """Speaks Ollama's native API for one provider spec: chat, NDJSON streaming and embeddings."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._transport = transport

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request with `/api/chat` and `stream: false`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=False)
        reply = await self._transport.send(
            api_url(call.base_url, "chat"),
            _ENCODE.encode(body),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not reply.ok:
            raise parse_error(reply.status, reply.body, provider=call.provider_id)
        try:
            decoded = _DECODE_CHAT.decode(reply.body)
        except msgspec.DecodeError:
            raise UpstreamUnavailable(
                "ollama sent an unreadable response", provider=call.provider_id
            ) from None
        out, usage = chat_completion(decoded, created=int(time.time()), strict=strict)
        return ChatResult(body=out, usage=usage, status=reply.status, headers=plan.headers())

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open a streamed `/api/chat`; fails before returning if Ollama refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=True)
        upstream = await self._transport.open_stream(
            api_url(call.base_url, "chat"),
            _ENCODE.encode(body),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not 200 <= upstream.status < 300:
            raise parse_error(upstream.status, await upstream.read_all(), provider=call.provider_id)
        options = call.body.get("stream_options") or {}
        translator = OllamaStreamTranslator(
            created=int(time.time()),
            include_usage=bool(options.get("include_usage")),
            strict=strict,
            provider=call.provider_id,
        )
        return await open_translated(
            iter_ndjson_batches(upstream),
            translator,
            headers=plan.headers(),
            close=upstream.aclose,
            provider=call.provider_id,
        )

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Create embeddings with `/api/embed` (batch input, `dimensions` passed on)."""
        plan = plan_params(call.body, provider="ollama", translated=_EMBED_FIELDS, strict=True)
        request = EmbedRequest(
            model=str(call.body.get("model", "")),
            input=embedding_inputs(call.body, "ollama"),
            dimensions=call.body.get("dimensions"),
        )
        reply = await self._transport.send(
            api_url(call.base_url, "embed"),
            _ENCODE.encode(request),
            _headers(call),
            timeout_s=call.timeout_s,
            provider=call.provider_id,
        )
        if not reply.ok:
            raise parse_error(reply.status, reply.body, provider=call.provider_id)
        try:
            decoded = _DECODE_EMBED.decode(reply.body)
        except msgspec.DecodeError:
            raise UpstreamUnavailable(
                "ollama sent unreadable embeddings", provider=call.provider_id
            ) from None
        out = embeddings_body(
            decoded.embeddings,
            model=request.model,
            encoding_format=call.body.get("encoding_format"),
            prompt_tokens=decoded.prompt_eval_count,
        )
        usage = Usage(prompt_tokens=decoded.prompt_eval_count)
        return EmbeddingResult(body=out, usage=usage, status=reply.status, headers=plan.headers())

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""
