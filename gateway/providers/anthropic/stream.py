"""Anthropic streaming events → OpenAI `chat.completion.chunk`s (one translator per stream).

message_start        → first chunk (`role: assistant`), input usage
content_block_start  → a tool call's id and name (tool_use blocks); a `redacted_thinking` block (lenient)
content_block_delta  → `content` (text_delta) or tool call `arguments` (input_json_delta); on lenient
                       routes `reasoning_content` + `thinking_blocks` (thinking_delta) and the block's
                       `signature` in `thinking_blocks` (signature_delta, the last delta of its block)
message_delta        → the chunk carrying `finish_reason`; output usage
message_stop         → the usage chunk (if the client asked with `stream_options.include_usage`)
error                → UpstreamError before any chunk, StreamBroken after
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.errors import StreamBroken, UpstreamError
from gateway.providers.anthropic.response import FINISH_REASONS, usage_from_wire
from gateway.providers.anthropic.wire import WireUsage
from gateway.providers.translated_stream import chunk
from gateway.usage import Usage

__all__ = ["ERROR_STATUS", "AnthropicStreamTranslator"]

ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
"""HTTP status Anthropic uses for each error type (an in-stream error event carries only the type)."""

_DECODE = msgspec.json.Decoder()
_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class AnthropicStreamTranslator:
    """Stateful translation of one Anthropic event stream."""

    def __init__(self, *, created: int, include_usage: bool, strict: bool, provider: str) -> None:
        self._created = created
        self._include_usage = include_usage
        self._strict = strict
        self._provider = provider
        self._id = ""
        self._model = ""
        self._tools: dict[int, int] = {}
        """Anthropic content block index → OpenAI tool call index."""
        self._usage = WireUsage()
        self._emitted = False
        self._stopped = False

    @property
    def usage(self) -> Usage | None:
        """Usage so far, normalised (prompt tokens include cache reads and writes)."""
        return usage_from_wire(self._usage) if self._id else None

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        out = []
        if not self._emitted:
            # The role chunk is held back until there is output, so that an error event right after
            # message_start (e.g. overloaded_error) still fails the attempt before the first byte.
            self._emitted = True
            out.append(self._make({"role": "assistant", "content": ""}))
        out.append(self._make(delta, finish))
        return out

    def _make(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return chunk(id=self._id, created=self._created, model=self._model, delta=delta, finish_reason=finish)

    def feed(self, payload: bytes) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Translate one event's `data:` JSON."""
        event = _DECODE.decode(payload)
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "message_start":
            return self._start(event.get("message") or {})
        if kind == "content_block_start":
            return self._block_start(event.get("index", 0), event.get("content_block") or {})
        if kind == "content_block_delta":
            return self._delta(event.get("index", 0), event.get("delta") or {})
        if kind == "message_delta":
            self._merge_usage(event.get("usage") or {})
            reason = (event.get("delta") or {}).get("stop_reason") or "end_turn"
            return self._chunk({}, FINISH_REASONS.get(reason, "stop"))
        if kind == "message_stop":
            self._stopped = True
            return self._usage_chunk()
        if kind == "error":
            raise self._error(event.get("error") or {})
        return []  # ping, content_block_stop, and event types added later

    def finish(self) -> list[dict[str, Any]]:  # Any: OpenAI chunk JSON
        """Check the stream ended with `message_stop`."""
        if not self._stopped:
            raise StreamBroken(f"{self._provider} stream ended before message_stop")
        return []

    def _start(self, message: dict[str, Any]) -> list[dict[str, Any]]:  # Any: wire JSON
        self._id = str(message.get("id", ""))
        self._model = str(message.get("model", ""))
        self._merge_usage(message.get("usage") or {})
        return []

    def _block_start(self, index: int, block: dict[str, Any]) -> list[dict[str, Any]]:  # Any: wire JSON
        if block.get("type") == "tool_use":
            position = self._tools[index] = len(self._tools)
            call = {"index": position, "id": block.get("id"), "type": "function"}
            call["function"] = {"name": block.get("name"), "arguments": ""}
            return self._chunk({"tool_calls": [call]})
        if block.get("type") == "text" and block.get("text"):
            return self._chunk({"content": block["text"]})
        if block.get("type") == "redacted_thinking" and not self._strict:
            return self._chunk(
                {"thinking_blocks": [{"type": "redacted_thinking", "data": block.get("data", "")}]}
            )
        return []

    def _delta(self, index: int, delta: dict[str, Any]) -> list[dict[str, Any]]:  # Any: wire JSON
        kind = delta.get("type")
        if kind == "text_delta":
            return self._chunk({"content": delta.get("text", "")})
        if kind == "input_json_delta" and delta.get("partial_json") and index in self._tools:
            call = {"index": self._tools[index], "function": {"arguments": delta["partial_json"]}}
            return self._chunk({"tool_calls": [call]})
        if self._strict:
            return []
        if kind == "thinking_delta":
            text = delta.get("thinking", "")
            thinking = {"type": "thinking", "thinking": text}
            return self._chunk({"reasoning_content": text, "thinking_blocks": [thinking]})
        if kind == "signature_delta":
            signed = {"type": "thinking", "thinking": "", "signature": delta.get("signature", "")}
            return self._chunk({"thinking_blocks": [signed]})
        return []

    def _merge_usage(self, usage: dict[str, Any]) -> None:  # Any: wire JSON
        for name in _USAGE_FIELDS:
            value = usage.get(name)
            if isinstance(value, int):
                setattr(self._usage, name, value)

    def _usage_chunk(self) -> list[dict[str, Any]]:
        usage = self.usage
        if not self._include_usage or usage is None:
            return []
        out = self._make({})
        out["choices"] = []
        out["usage"] = usage.openai_json()
        return [out]

    def _error(self, error: dict[str, Any]) -> UpstreamError:  # Any: wire JSON
        kind = str(error.get("type", "api_error"))
        message = f"anthropic error: {error.get('message', '')}"
        status = ERROR_STATUS.get(kind, 500)
        return UpstreamError(message, status=status, provider=self._provider, type=kind, code=kind)
