"""OpenAI chunks → Anthropic streaming events, for the Anthropic-compatible front door.

    first chunk            → message_start
    thinking_blocks deltas → content_block_start (thinking) + thinking_delta … signature_delta (a
                             signature ends its block); content_block_start (redacted_thinking)
    content deltas         → content_block_start (text) + content_block_delta (text_delta)
    tool call deltas       → content_block_start (tool_use, id, name) + input_json_delta
    block change           → content_block_stop
    end of stream          → content_block_stop, message_delta (stop_reason, usage), message_stop
    failure mid-stream     → error event

Each event is `(name, data)`; `encode_event` frames it as SSE (`event:` + `data:` lines).
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.errors import GatewayError
from gateway.providers.anthropic.inbound import STOP_REASONS, anthropic_usage, error_body
from gateway.usage import Usage

__all__ = ["AnthropicEventStream", "Event", "encode_event"]

Event = tuple[str, dict[str, Any]]  # Any: Anthropic event JSON
_ENCODE = msgspec.json.Encoder()


def encode_event(event: Event) -> bytes:
    """Frame one event as SSE."""
    name, data = event
    return b"event: " + name.encode() + b"\ndata: " + _ENCODE.encode(data) + b"\n\n"


class AnthropicEventStream:
    """Stateful translation of one OpenAI chunk stream into Anthropic events."""

    def __init__(self, *, model: str, message_id: str = "") -> None:
        self._model = model
        self._id = message_id
        self._started = False
        self._block: int = -1
        self._block_kind = ""
        self._tools: dict[int, int] = {}
        """OpenAI tool call index → Anthropic content block index."""
        self._stop_reason = "end_turn"

    def feed(self, chunk: dict[str, Any]) -> list[Event]:  # Any: OpenAI chunk JSON
        """Translate one OpenAI chunk."""
        events = self._start(chunk)
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue  # Anthropic messages have one answer
            delta = choice.get("delta") or {}
            for block in delta.get("thinking_blocks") or ():
                events += self._thinking(block)
            if delta.get("content"):
                events += self._text(delta["content"])
            for call in delta.get("tool_calls") or ():
                events += self._tool(call)
            if choice.get("finish_reason"):
                self._stop_reason = STOP_REASONS.get(choice["finish_reason"], "end_turn")
        return events

    def finish(self, usage: Usage | None) -> list[Event]:
        """Close the message: last block stop, message_delta with stop_reason and usage, message_stop."""
        events = self._start({})
        events += self._close_block()
        delta = {"stop_reason": self._stop_reason, "stop_sequence": None}
        events.append(
            (
                "message_delta",
                {"type": "message_delta", "delta": delta, "usage": anthropic_usage(usage or Usage())},
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def error(self, error: GatewayError) -> list[Event]:
        """The terminal event for a stream that failed after it started."""
        return [("error", error_body(error))]

    def _start(self, chunk: dict[str, Any]) -> list[Event]:  # Any: OpenAI chunk JSON
        if self._started:
            return []
        self._started = True
        self._id = self._id or str(chunk.get("id") or "msg_gw")
        self._model = str(chunk.get("model") or self._model)
        message: dict[str, Any] = {  # Any: Anthropic message JSON
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def _open(self, kind: str, block: dict[str, Any]) -> list[Event]:  # Any: Anthropic block JSON
        events = self._close_block()
        self._block += 1
        self._block_kind = kind
        return [
            *events,
            (
                "content_block_start",
                {"type": "content_block_start", "index": self._block, "content_block": block},
            ),
        ]

    def _close_block(self) -> list[Event]:
        if not self._block_kind:
            return []
        self._block_kind = ""
        return [("content_block_stop", {"type": "content_block_stop", "index": self._block})]

    def _text(self, text: str) -> list[Event]:
        events = [] if self._block_kind == "text" else self._open("text", {"type": "text", "text": ""})
        delta = {"type": "text_delta", "text": text}
        return [
            *events,
            ("content_block_delta", {"type": "content_block_delta", "index": self._block, "delta": delta}),
        ]

    def _thinking(self, block: Any) -> list[Event]:  # Any: a thinking_blocks entry of an OpenAI delta
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "redacted_thinking":
            return self._open(
                "redacted_thinking", {"type": "redacted_thinking", "data": block.get("data", "")}
            )
        if kind != "thinking":
            return []
        events: list[Event] = []
        if self._block_kind != "thinking":  # a new block, or the previous one is signed (complete)
            events = self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        if block.get("thinking"):
            events.append(self._block_delta({"type": "thinking_delta", "thinking": block["thinking"]}))
        if block.get("signature"):
            events.append(self._block_delta({"type": "signature_delta", "signature": block["signature"]}))
            self._block_kind = "signed_thinking"
        return events

    def _block_delta(self, delta: dict[str, Any]) -> Event:  # Any: Anthropic delta JSON
        return ("content_block_delta", {"type": "content_block_delta", "index": self._block, "delta": delta})

    def _tool(self, call: dict[str, Any]) -> list[Event]:  # Any: OpenAI tool call delta
        index = int(call.get("index", 0))
        fn = call.get("function") or {}
        events: list[Event] = []
        if index not in self._tools:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id"),
                "name": fn.get("name"),
                "input": {},
            }
            events = self._open("tool_use", block)
            self._tools[index] = self._block
        if fn.get("arguments"):
            delta = {"type": "input_json_delta", "partial_json": fn["arguments"]}
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": self._tools[index], "delta": delta},
                )
            )
        return events
