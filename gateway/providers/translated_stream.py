"""A `ChatStream` over an upstream whose stream events are translated into OpenAI chunks.

Each translating adapter supplies the upstream's payloads (SSE `data:` or NDJSON lines) and a
`ChunkTranslator`. `open_translated()` reads ahead until the first OpenAI chunk exists, so that a
provider error or a dropped connection before any output is still an ordinary upstream failure
(`UpstreamError` / `UpstreamUnavailable`) the executor can retry or fail over; after that, failures
are `StreamBroken`. A stream that ends without the provider's end marker is broken, never complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import msgspec

from gateway.errors import StreamBroken, UpstreamUnavailable
from gateway.usage import Usage

__all__ = ["ChunkTranslator", "TranslatedStream", "chunk", "open_translated"]

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
        """Translate one upstream payload; raise UpstreamError/StreamBroken for provider error events."""
        ...

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Return trailing chunks at a clean end of stream; raise StreamBroken if it ended too early."""
        ...

    @property
    def usage(self) -> Usage | None:
        """Usage seen so far (complete once the stream finished)."""
        ...


class TranslatedStream:
    """An open, translated stream; iterate it once."""

    def __init__(
        self,
        payloads: AsyncIterator[bytes],
        translator: ChunkTranslator,
        pending: list[dict[str, Any]],  # Any: OpenAI chunk JSON
        headers: dict[str, str],
        close: Callable[[], Any],  # Any: returns an awaitable
    ) -> None:
        self.headers = headers
        self._payloads = payloads
        self._translator = translator
        self._pending = pending
        self._close = close
        self._closed = False

    @property
    def usage(self) -> Usage | None:
        """Usage reported by the stream, known once it is exhausted."""
        return self._translator.usage

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield each OpenAI chunk as JSON bytes."""
        try:
            for item in self._pending:
                yield _ENCODER.encode(item)
            self._pending = []
            async for payload in self._payloads:
                for item in self._translator.feed(payload):
                    yield _ENCODER.encode(item)
            for item in self._translator.finish():
                yield _ENCODER.encode(item)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Release the upstream connection (idempotent)."""
        if not self._closed:
            self._closed = True
            await self._close()


async def open_translated(
    payloads: AsyncIterator[bytes],
    translator: ChunkTranslator,
    *,
    headers: dict[str, str],
    close: Callable[[], Any],  # Any: returns an awaitable
    provider: str,
) -> TranslatedStream:
    """Read ahead to the first OpenAI chunk, failing like a refused request if the upstream fails first."""
    pending: list[dict[str, Any]] = []
    try:
        while not pending:
            try:
                payload = await payloads.__anext__()
            except StopAsyncIteration:
                pending = translator.finish()
                break
            pending = translator.feed(payload)
    except StreamBroken as exc:
        await close()
        raise UpstreamUnavailable(exc.message, provider=provider) from None
    except BaseException:
        await close()
        raise
    return TranslatedStream(payloads, translator, pending, headers, close)
