"""HTTP calls to OpenAI's API (and every vendor that speaks it) through the shared transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from compiler.specs import ProviderSpec
from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.base import ChatResult, EmbeddingResult, ProviderCall
from gateway.providers.compliance import DROPPED_HEADER
from gateway.providers.exchange import Exchange
from gateway.providers.extras import strip_anthropic_extras
from gateway.providers.openai.translate import decode_object, error_from_reply, surfaced_headers, usage_from
from gateway.providers.transport import HttpTransport, UpstreamReply, UpstreamStream, iter_sse_batches
from gateway.usage import Usage

__all__ = ["OpenAIAdapter", "OpenAIStream", "outgoing_body"]


def outgoing_body(call: ProviderCall) -> tuple[dict[str, Any], dict[str, str]]:  # Any: OpenAI JSON
    """A copy of the request body for an OpenAI-family upstream, and the response headers it implies:
    on strict routes the Anthropic-only fields are removed and named (see `gateway/providers/extras.py`)."""
    if not call.strict_openai_compliance:
        return dict(call.body), {}
    body, dropped = strip_anthropic_extras(call.body)
    return dict(body), ({DROPPED_HEADER: ",".join(dropped)} if dropped else {})


class OpenAIStream:
    """An opened OpenAI SSE stream yielding chunk payloads; learns usage as it passes."""

    def __init__(self, upstream: UpstreamStream, *, provider: str, hide_usage_chunk: bool) -> None:
        self.headers = surfaced_headers(upstream.headers)
        self._upstream = upstream
        self._provider = provider
        self._hide_usage_chunk = hide_usage_chunk
        self._usage: Usage | None = None

    @property
    def usage(self) -> Usage | None:
        """Usage from the final usage chunk, once seen."""
        return self._usage

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._flat()

    async def _flat(self) -> AsyncIterator[bytes]:
        async for batch in self.batches():
            for payload in batch:
                yield payload

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Chunk payloads grouped as they arrived from the network (the gateway writes each group once)."""
        async for batch in iter_sse_batches(self._upstream):
            out = [payload for payload in batch if self._keep(payload)]
            if out:
                yield out

    def _keep(self, payload: bytes) -> bool:
        # Cheap byte tests first: only chunks that carry usage or an error are decoded.
        if b'"usage":{' in payload or b'"usage": {' in payload:
            chunk = decode_object(payload)
            self._usage = usage_from(chunk)
            return not (self._hide_usage_chunk and chunk is not None and not chunk.get("choices"))
        if payload.startswith(b'{"error"'):
            chunk = decode_object(payload) or {}
            error = chunk.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            raise StreamBroken(f"{self._provider} stream error: {message or 'unknown'}")
        return True

    async def aclose(self) -> None:
        """Release the upstream connection."""
        await self._upstream.aclose()


class OpenAIAdapter:
    """Adapter for OpenAI and OpenAI-compatible vendors (their differences are data)."""

    def __init__(
        self,
        spec: ProviderSpec,
        transport: HttpTransport,
        *,
        label: str = "openai",
        stream_usage: bool = True,
    ) -> None:
        self.spec = spec
        self._label = label
        self._stream_usage = stream_usage
        self._exchange = Exchange(transport, headers=self._headers, error=self._error)

    def _headers(self, call: ProviderCall) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        headers.update(call.headers)
        if call.api_key:
            headers["authorization"] = f"Bearer {call.api_key}"
        if call.trace_id:
            headers.setdefault("x-request-id", call.trace_id)
        return headers

    def _error(self, call: ProviderCall, reply: UpstreamReply) -> UpstreamError:
        return error_from_reply(call.provider_id, reply.status, reply.headers, reply.body, label=self._label)

    def _object(self, call: ProviderCall, reply: UpstreamReply) -> dict[str, Any]:  # Any: OpenAI JSON
        decoded = decode_object(reply.body)
        if decoded is None:
            raise error_from_reply(call.provider_id, 502, reply.headers, b"", label=self._label)
        return decoded

    async def chat(self, call: ProviderCall) -> ChatResult:
        """POST /chat/completions and return the completion."""
        return await self._complete(call, "/chat/completions")

    async def complete(self, call: ProviderCall) -> ChatResult:
        """POST /completions (the legacy text completion API)."""
        return await self._complete(call, "/completions")

    async def _complete(self, call: ProviderCall, path: str) -> ChatResult:
        body, dropped = outgoing_body(call)
        body.pop("stream", None)
        reply = await self._exchange.send(call, f"{call.base_url}{path}", body)
        decoded = self._object(call, reply)
        headers = {**surfaced_headers(reply.headers), **dropped}
        return ChatResult(body=decoded, usage=usage_from(decoded), headers=headers, raw=reply.body)

    async def chat_stream(self, call: ProviderCall) -> OpenAIStream:
        """POST /chat/completions with `stream: true`; raises if the upstream refused it."""
        return await self._open_stream(call, "/chat/completions")

    async def complete_stream(self, call: ProviderCall) -> OpenAIStream:
        """POST /completions with `stream: true`."""
        return await self._open_stream(call, "/completions")

    async def _open_stream(self, call: ProviderCall, path: str) -> OpenAIStream:
        body, dropped = outgoing_body(call)
        body["stream"] = True
        hide = False
        options = body.get("stream_options")
        if self._stream_usage and not (isinstance(options, dict) and options.get("include_usage")):
            # Ask for usage so budgets and the ledger see it; the extra chunk is not shown to the client.
            body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
            hide = True
        upstream = await self._exchange.open_stream(
            call, f"{call.base_url}{path}", body, headers={"accept": "text/event-stream"}
        )
        stream = OpenAIStream(upstream, provider=call.provider_id, hide_usage_chunk=hide)
        stream.headers.update(dropped)
        return stream

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """POST /embeddings."""
        reply = await self._exchange.send(call, f"{call.base_url}/embeddings", call.body)
        decoded = self._object(call, reply)
        return EmbeddingResult(
            body=decoded, usage=usage_from(decoded), headers=surfaced_headers(reply.headers), raw=reply.body
        )

    async def aclose(self) -> None:
        """Nothing to close: the transport belongs to the gateway's pool."""
