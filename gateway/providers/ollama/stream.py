"""Ollama NDJSON streaming: line framing, and lines → OpenAI `chat.completion.chunk`s.

Each line is a partial `ChatResponse`: `message.content` holds the next piece of text, tool calls
arrive whole, and the last line has `done: true`, `done_reason` and the token counts. A line
`{"error": "..."}` is a provider error; a stream that ends without `done: true` is broken.
"""

from __future__ import annotations

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

__all__ = ["OllamaStreamTranslator", "iter_ndjson_batches"]

_DECODE = msgspec.json.Decoder(ChatResponse)


async def iter_ndjson_batches(stream: UpstreamStream) -> AsyncIterator[list[bytes]]:
    """Yield the complete non-empty lines of each network read.

    A drop, or a stall longer than the idle timeout (the transport's `sock_read`), raises StreamBroken;
    a last line without its newline is still a line (Ollama ends every line, but a proxy may not).
    """
    content = stream.response.content
    buffer = b""
    try:
        while True:
            try:
                data = await content.readany()
            except TimeoutError:
                raise StreamBroken(f"{stream.provider} stream stalled") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise StreamBroken(f"{stream.provider} stream broke: {type(exc).__name__}") from None
            if not data:
                if buffer.strip():
                    yield [buffer.strip()]
                return
            *lines, buffer = (buffer + data).split(b"\n")
            batch = [line.strip() for line in lines if line.strip()]
            if batch:
                yield batch
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
            raise UpstreamError(f"ollama error: {line.error}", status=500, provider=self._provider)
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
