"""Ollama's native API over HTTP: `POST /api/chat` (NDJSON streaming) and `POST /api/embed`; no key.

For Ollama's OpenAI-compatible endpoint (`/v1/chat/completions`) use an `openai-compatible` provider
with `base_url: http://<host>:11434/v1` instead; this adapter speaks the native API.
"""

from __future__ import annotations

import time

import msgspec

from compiler.specs import ProviderSpec
from gateway.errors import UpstreamError
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.chat_request import stream_usage_requested
from gateway.providers.compliance import plan_params
from gateway.providers.embeddings import embedding_inputs, embeddings_body
from gateway.providers.exchange import Exchange, decode_reply, json_headers
from gateway.providers.ollama.stream import OllamaStreamTranslator, iter_ndjson_batches
from gateway.providers.ollama.translate import build_request, chat_completion, parse_error
from gateway.providers.ollama.wire import ChatResponse, EmbedRequest, EmbedResponse
from gateway.providers.translated_stream import open_translated_upstream
from gateway.providers.transport import HttpTransport, UpstreamReply
from gateway.usage import Usage

__all__ = ["DEFAULT_BASE_URL", "OllamaAdapter", "api_url"]

DEFAULT_BASE_URL = "http://localhost:11434"

_DECODE_CHAT = msgspec.json.Decoder(ChatResponse)
_DECODE_EMBED = msgspec.json.Decoder(EmbedResponse)
_EMBED_FIELDS = ("model", "input", "encoding_format", "dimensions")


def api_url(base_url: str, endpoint: str) -> str:
    """Return `<base>/api/<endpoint>` for a base URL given with or without `/api`."""
    base = base_url.rstrip("/")
    return f"{base}/{endpoint}" if base.endswith("/api") else f"{base}/api/{endpoint}"


def _headers(call: ProviderCall) -> dict[str, str]:
    # Ollama itself needs no key; a reverse proxy in front of it may want a bearer token.
    return json_headers(call, "authorization", scheme="Bearer ")


def _error(call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
    return parse_error(reply.status, reply.body, provider=call.provider_id)


class OllamaAdapter:
    """Speaks Ollama's native API for one provider spec: chat, NDJSON streaming and embeddings."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._exchange = Exchange(transport, headers=_headers, error=_error)

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Complete a chat request with `/api/chat` and `stream: false`."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=False)
        reply = await self._exchange.send(call, api_url(call.base_url, "chat"), body)
        unreadable = "ollama sent an unreadable response"
        decoded = decode_reply(_DECODE_CHAT, reply, provider=call.provider_id, unreadable=unreadable)
        out, usage = chat_completion(decoded, created=int(time.time()), strict=strict)
        return ChatResult(body=out, usage=usage, status=reply.status, headers=plan.headers())

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Open a streamed `/api/chat`; fails before returning if Ollama refused it."""
        strict = call.strict_openai_compliance
        body, plan = build_request(call.body, strict=strict, stream=True)
        translator = OllamaStreamTranslator(
            created=int(time.time()),
            include_usage=stream_usage_requested(call.body),
            strict=strict,
            provider=call.provider_id,
        )
        upstream = await self._exchange.open_stream(call, api_url(call.base_url, "chat"), body)
        return await open_translated_upstream(
            upstream, translator, headers=plan.headers(), framing=iter_ndjson_batches
        )

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Create embeddings with `/api/embed` (batch input, `dimensions` passed on)."""
        plan = plan_params(call.body, provider="ollama", translated=_EMBED_FIELDS, strict=True)
        request = EmbedRequest(
            model=str(call.body.get("model", "")),
            input=embedding_inputs(call.body, "ollama"),
            dimensions=call.body.get("dimensions"),
        )
        reply = await self._exchange.send(call, api_url(call.base_url, "embed"), request)
        unreadable = "ollama sent unreadable embeddings"
        decoded = decode_reply(_DECODE_EMBED, reply, provider=call.provider_id, unreadable=unreadable)
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
