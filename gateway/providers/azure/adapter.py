"""Azure OpenAI over HTTP: deployment URLs with `api-version`, authenticated with the `api-key` header."""

from __future__ import annotations

from typing import Any

from compiler.specs import ProviderSpec
from gateway.errors import UpstreamError
from gateway.providers.azure.translate import (
    AzureChunkFilter,
    deployment_url,
    strip_azure_fields,
    surfaced_headers,
)
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderCall
from gateway.providers.exchange import Exchange, json_headers
from gateway.providers.openai.adapter import outgoing_body
from gateway.providers.openai.translate import decode_object, error_from_reply, usage_from
from gateway.providers.translated_stream import open_translated_upstream
from gateway.providers.transport import HttpTransport, UpstreamReply

__all__ = ["AzureOpenAIAdapter"]

_LABEL = "azure-openai"


def _headers(call: ProviderCall) -> dict[str, str]:
    return json_headers(call, "api-key")


def _url(call: ProviderCall, operation: str) -> str:
    return deployment_url(
        call.base_url,
        call.body.get("model"),
        operation,
        deployments=call.deployments,
        api_version=call.api_version,
    )


def _error(call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
    error = error_from_reply(call.provider_id, reply.status, reply.headers, reply.body, label=_LABEL)
    error.headers = surfaced_headers(reply.headers)
    return error


def _object(call: ProviderCall, reply: UpstreamReply) -> dict[str, Any]:  # Any: OpenAI JSON
    decoded = decode_object(reply.body)
    if decoded is None:
        raise error_from_reply(call.provider_id, 502, reply.headers, b"", label=_LABEL)
    return decoded


class AzureOpenAIAdapter:
    """Speaks Azure OpenAI for one provider spec: chat, streaming and embeddings."""

    def __init__(self, spec: ProviderSpec | None, transport: HttpTransport) -> None:
        self.spec = spec
        self._exchange = Exchange(transport, headers=_headers, error=_error)

    async def chat(self, call: ProviderCall) -> ChatResult:
        """POST the deployment's `/chat/completions`."""
        body, dropped = outgoing_body(call)
        body.pop("stream", None)
        body.pop("stream_options", None)
        reply = await self._exchange.send(call, _url(call, "chat/completions"), body)
        decoded = _object(call, reply)
        strict = call.strict_openai_compliance
        out = strip_azure_fields(decoded) if strict else decoded
        raw = None if strict else reply.body
        headers = {**surfaced_headers(reply.headers), **dropped}
        return ChatResult(body=out, usage=usage_from(out), headers=headers, raw=raw)

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """POST `/chat/completions` with `stream: true` (usage always requested, shown only if asked)."""
        body, dropped = outgoing_body(call)
        body["stream"] = True
        raw_options = body.get("stream_options")
        options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}  # Any: JSON
        asked = bool(options.get("include_usage"))
        body["stream_options"] = {**options, "include_usage": True}
        upstream = await self._exchange.open_stream(call, _url(call, "chat/completions"), body)
        translator = AzureChunkFilter(
            strict=call.strict_openai_compliance, show_usage_chunk=asked, provider=call.provider_id
        )
        headers = {**surfaced_headers(upstream.headers), **dropped}
        return await open_translated_upstream(upstream, translator, headers=headers)

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """POST the deployment's `/embeddings` (batch input, `encoding_format`, `dimensions` as sent)."""
        reply = await self._exchange.send(call, _url(call, "embeddings"), dict(call.body))
        decoded = _object(call, reply)
        return EmbeddingResult(
            body=decoded, usage=usage_from(decoded), headers=surfaced_headers(reply.headers), raw=reply.body
        )

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""
