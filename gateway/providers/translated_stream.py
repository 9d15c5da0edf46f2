"""A `ChatStream` over an upstream whose stream events are translated into OpenAI chunks.

Each translating adapter supplies the upstream's payloads (SSE `data:` or NDJSON lines, grouped by
network read) and a `ChunkTranslator`. `open_translated()` reads ahead until the first OpenAI chunk
exists: a provider error event or a dropped connection before any output is still an ordinary failed
attempt (`UpstreamError` with the provider's status, or `UpstreamUnavailable`) that the executor can
retry or fail over. Once output has been handed on, the same failures become `StreamBroken`. A stream
that ends without the provider's end marker is broken, never complete. `batches()` lets the gateway
write every chunk that arrived together at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import msgspec

from gateway.errors import StreamBroken, UpstreamError, UpstreamUnavailable
from gateway.providers.transport import UpstreamStream, iter_sse_batches
from gateway.usage import Usage

__all__ = [
    "ChunkTranslator",
    "Framing",
    "TranslatedStream",
    "chunk",
    "open_translated",
    "open_translated_upstream",
    "translate_batch",
]

_ENCODER = msgspec.json.Encoder()


def chunk(
    *,
    id: str,
    created: int,
    model: str,
    delta: dict[str, Any],  # Any: OpenAI delta JSON
    finish_reason: str | None = None,
    index: int = 0,
) -> dict[str, Any]:  # Any: OpenAI chunk JSON
    """Build one OpenAI `chat.completion.chunk` with a single choice."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


class ChunkTranslator(Protocol):
    """Turns a provider's stream payloads into OpenAI chunks (one translator per stream)."""

    def feed(self, payload: bytes) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Translate one upstream payload; an error event raises UpstreamError with the provider's status."""
        ...

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Return trailing chunks at a clean end of stream; raise StreamBroken if it ended too early."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Usage seen so far (complete once the stream finished)."""
        ...


Framing = Callable[[UpstreamStream], AsyncIterator[list[bytes]]]
"""Cuts an upstream body into payloads grouped by network read (`iter_sse_batches`, NDJSON lines)."""

_MALFORMED = (msgspec.DecodeError, ValueError, TypeError, AttributeError, KeyError)
"""What translating a provider's malformed event can raise: bytes from the wire are untrusted."""


def translate_batch(
    translator: ChunkTranslator, batch: list[bytes], provider: str
) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
    """Translate a batch of payloads; an event the translator cannot read breaks the stream."""
    try:
        return [item for payload in batch for item in translator.feed(payload)]
    except _MALFORMED as exc:
        raise StreamBroken(f"{provider} sent a malformed stream event ({type(exc).__name__})") from None


class TranslatedStream:
    """An open, translated stream; iterate it once (by chunk, or by arrival batch with `batches()`)."""

    def __init__(
        self,
        batches: AsyncIterator[list[bytes]],
        translator: ChunkTranslator,
        pending: list[dict[str, Any]],  # Any: OpenAI chunk JSON
        headers: dict[str, str],
        close: Callable[[], Any],  # Any: returns an awaitable
        provider: str,
    ) -> None:
        self.headers = headers
        self._provider = provider
        self._batches = batches
        self._translator = translator
        self._pending = pending
        self._close = close
        self._closed = False

    @property
    def usage(self) -> Usage | None:
        """Usage reported by the stream, known once it is exhausted."""
        return self._translator.usage

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Yield OpenAI chunks as JSON bytes, grouped as the upstream events arrived together."""
        try:
            if self._pending:
                first, self._pending = self._pending, []
                yield [_ENCODER.encode(item) for item in first]
            async for batch in self._batches:
                out = [_ENCODER.encode(item) for item in self._translate(batch)]
                if out:
                    yield out
            tail = self._translator.finish()
            if tail:
                yield [_ENCODER.encode(item) for item in tail]
        finally:
            await self.aclose()

    def _translate(self, batch: list[bytes]) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        try:
            return translate_batch(self._translator, batch, self._provider)
        except UpstreamError as exc:
            # Output already reached the client: a provider error now can only end the stream.
            raise StreamBroken(exc.message) from None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield each OpenAI chunk as JSON bytes."""
        async for batch in self.batches():
            for item in batch:
                yield item

    async def aclose(self) -> None:
        """Release the upstream connection (idempotent)."""
        if not self._closed:
            self._closed = True
            await self._close()


async def open_translated(
    batches: AsyncIterator[list[bytes]],
    translator: ChunkTranslator,
    *,
    headers: dict[str, str],
    close: Callable[[], Any],  # Any: returns an awaitable
    provider: str,
) -> TranslatedStream:
    """Read ahead to the first OpenAI chunk, failing like a refused request if the upstream fails first.

    `batches` yields the upstream's payloads grouped by network read (`iter_sse_batches`).
    """
    pending: list[dict[str, Any]] = []
    try:
        while not pending:
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                pending = translator.finish()
                break
            pending = translate_batch(translator, batch, provider)
    except StreamBroken as exc:
        await close()
        raise UpstreamUnavailable(exc.message, provider=provider) from None
    except BaseException:
        await close()
        raise
    return TranslatedStream(batches, translator, pending, headers, close, provider)


async def open_translated_upstream(
    upstream: UpstreamStream,
    translator: ChunkTranslator,
    *,
    headers: dict[str, str],
    framing: Framing = iter_sse_batches,
) -> TranslatedStream:
    """Open a translated stream over an upstream that answered 2xx (SSE unless `framing` says otherwise)."""
    return await open_translated(
        framing(upstream), translator, headers=headers, close=upstream.aclose, provider=upstream.provider
    )
