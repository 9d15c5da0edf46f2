"""Ollama NDJSON streaming: line framing, and lines → OpenAI `chat.completion.chunk`s.

Each line is a partial `ChatResponse`: `message.content` holds the next piece of text, tool calls
arrive whole, and the last line has `done: true`, `done_reason` and the token counts. A line
`{"error": "..."}` is a provider error; a stream that ends without `done: true` is broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.ollama.translate import finish_reason, tool_calls, usage_from
from gateway.providers.ollama.wire import ChatResponse
from gateway.providers.translated_stream import chunk
from gateway.providers.transport import UpstreamStream
from gateway.usage import Usage

__all__ = ["OllamaStreamTranslator", "iter_ndjson"]

_DECODE = msgspec.json.Decoder(ChatResponse)


async def iter_ndjson(stream: UpstreamStream) -> AsyncIterator[bytes]:
    """Yield each non-empty line; a drop or a stall longer than the idle timeout raises StreamBroken."""
    content = stream.response.content
    try:
        while True:
            try:
                async with asyncio.timeout(stream.idle_timeout_s):
                    line = await content.readline()
            except TimeoutError:
                raise StreamBroken(f"{stream.provider} stream stalled") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise StreamBroken(f"{stream.provider} stream broke: {type(exc).__name__}") from None
            if not line:
                return
            line = line.strip()
            if line:
                yield line
    finally:
        await stream.aclose()


class OllamaStreamTranslator:
    """Stateful translation of one Ollama NDJSON stream."""

    def __init__(self, *, created: int, include_usage: bool, strict: bool, provider: str) -> None:
        self._created = created
        self._include_usage = include_usage
        self._strict = strict
        self._provider = provider
        self._id = f"chatcmpl-ollama-{created}"
        self._model = ""
        self._calls = 0
        self._started = False
        self._last: ChatResponse | None = None

    @property
    def usage(self) -> Usage | None:
        """Counts from the final line, once it arrived."""
        return usage_from(self._last) if self._last is not None else None

    def feed(self, payload: bytes) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Translate one NDJSON line."""
        line = _DECODE.decode(payload)
        if line.error is not None:
            message = f"ollama error: {line.error}"
            if self._started:
                raise StreamBroken(message)
            raise UpstreamError(message, status=500, provider=self._provider)
        self._model = line.model or self._model
        out: list[dict[str, Any]] = []
        msg = line.message
        if msg is not None and msg.thinking and not self._strict:
            out += self._delta({"reasoning_content": msg.thinking})
        if msg is not None and msg.content:
            out += self._delta({"content": msg.content})
        if msg is not None and msg.tool_calls:
            calls = tool_calls(msg.tool_calls, self._calls)
            out += self._delta({"tool_calls": [{"index": self._calls + i, **c} for i, c in enumerate(calls)]})
            self._calls += len(calls)
        if line.done:
            self._last = line
            out += self._delta({}, finish_reason(line.done_reason, self._calls > 0))
        return out

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Check the final line arrived; add the usage chunk if the client asked for it."""
        usage = self.usage
        if usage is None:
            raise StreamBroken(f"{self._provider} stream ended before done")
        if not self._include_usage:
            return []
        out = chunk(id=self._id, created=self._created, model=self._model, delta={})
        out["choices"] = []
        out["usage"] = usage.openai_json()
        return [out]

    def _delta(self, delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        out = []
        if not self._started:
            self._started = True
            out.append(
                chunk(
                    id=self._id,
                    created=self._created,
                    model=self._model,
                    delta={"role": "assistant", "content": ""},
                )
            )
        out.append(
            chunk(id=self._id, created=self._created, model=self._model, delta=delta, finish_reason=finish)
        )
        return out
