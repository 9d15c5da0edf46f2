"""The Anthropic-compatible front door, translation only: `/v1/messages` in, OpenAI chat inside.

An Anthropic-SDK client's request becomes an OpenAI chat request (`chat_request_from_messages`) that
the one executor routes to any provider; the OpenAI completion coming back becomes an Anthropic
`message` (`message_from_completion`); streams are turned into Anthropic events by
`gateway.providers.anthropic.inbound_stream.AnthropicEventStream`. Errors are rendered in Anthropic's
shape by `error_body`. The HTTP route that uses these functions lives in `gateway.http`.

The request half lives in `gateway.providers.anthropic.inbound_request` (re-exported here): `thinking`,
`top_k` and `cache_control` hints ride in the OpenAI request and each target adapter applies its
parameter rule to them; `document` and server-tool blocks are refused with a 400. On the way back, an
assistant message's `thinking_blocks` (Anthropic's signed thinking, kept by the Anthropic adapter on
lenient routes) become `thinking` / `redacted_thinking` content blocks before the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import GatewayError
from gateway.providers.anthropic.inbound_request import chat_request_from_messages
from gateway.usage import Usage

__all__ = [
    "STOP_REASONS",
    "anthropic_usage",
    "chat_request_from_messages",
    "error_body",
    "message_from_completion",
    "thinking_content",
]

STOP_REASONS: Mapping[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
"""OpenAI finish_reason → Anthropic stop_reason."""

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_JSON = msgspec.json.Decoder()


def anthropic_usage(usage: Usage) -> dict[str, int]:
    """Anthropic's usage object: `input_tokens` excludes cache reads and cache writes."""
    return {
        "input_tokens": max(0, usage.prompt_tokens - usage.cached_read_tokens - usage.cache_write_tokens),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_read_tokens,
        "output_tokens": usage.completion_tokens,
    }


def message_from_completion(completion: Mapping[str, Any], usage: Usage) -> dict[str, Any]:  # Any: JSON
    """Translate an OpenAI `chat.completion` (and its normalised usage) into an Anthropic `message`."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content = thinking_content(message.get("thinking_blocks"))
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": fn.get("name"),
                "input": _arguments(fn.get("arguments")),
            }
        )
    return {
        "id": str(completion.get("id") or "msg_gw"),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model"),
        "content": content,
        "stop_reason": STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }


def thinking_content(blocks: Any) -> list[dict[str, Any]]:  # Any: OpenAI / Anthropic JSON
    """`thinking_blocks` of an OpenAI message as Anthropic content blocks (anything malformed is skipped)."""
    out: list[dict[str, Any]] = []
    for block in blocks if isinstance(blocks, list) else ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking" and isinstance(block.get("thinking"), str):
            signature = block.get("signature")
            out.append({"type": "thinking", "thinking": block["thinking"], "signature": signature or ""})
        elif kind == "redacted_thinking" and isinstance(block.get("data"), str):
            out.append({"type": "redacted_thinking", "data": block["data"]})
    return out


def _arguments(raw: Any) -> dict[str, Any]:  # Any: tool arguments JSON
    try:
        value = _JSON.decode(raw) if isinstance(raw, str) and raw else {}
    except msgspec.DecodeError:
        return {"_unparsed_arguments": raw}
    return value if isinstance(value, dict) else {"value": value}


def error_body(error: GatewayError) -> dict[str, Any]:  # Any: Anthropic error JSON
    """Render any gateway error in Anthropic's error shape (the status stays the error's own)."""
    kind = _ERROR_TYPES.get(error.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": error.message}}
