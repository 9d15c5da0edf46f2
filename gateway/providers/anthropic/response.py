"""Pure translation of Anthropic responses, usage, headers and errors into OpenAI's shapes.

Text and `tool_use` blocks become `content` and `tool_calls`; on lenient routes thinking becomes
`reasoning_content` and the signed blocks `thinking_blocks` (LiteLLM's field, in Anthropic's shape);
`stop_reason` maps to `finish_reason`; usage is normalised (Anthropic's `input_tokens` excludes cache
reads and writes, our `prompt_tokens` is the sum).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import UpstreamError
from gateway.providers.anthropic.wire import ErrorBody, MessagesResponse, WireUsage
from gateway.usage import Usage

__all__ = ["FINISH_REASONS", "chat_completion", "parse_error", "surfaced_headers", "usage_from_wire"]

FINISH_REASONS: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
}

_DECODE_ERROR = msgspec.json.Decoder(ErrorBody)


def usage_from_wire(usage: WireUsage) -> Usage:
    """Normalise Anthropic usage: prompt tokens include cache reads and cache writes."""
    read = usage.cache_read_input_tokens or 0
    write = usage.cache_creation_input_tokens or 0
    return Usage(
        prompt_tokens=usage.input_tokens + read + write,
        completion_tokens=usage.output_tokens,
        cached_read_tokens=read,
        cache_write_tokens=write,
    )


def chat_completion(
    resp: MessagesResponse, *, created: int, strict: bool
) -> tuple[dict[str, Any], Usage]:  # Any: OpenAI JSON
    """Translate an Anthropic message into an OpenAI `chat.completion` and its normalised usage."""
    text = "".join(b.text or "" for b in resp.content if b.type == "text")
    calls = [
        {"id": b.id, "type": "function", "function": {"name": b.name, "arguments": _encode_args(b.input)}}
        for b in resp.content
        if b.type == "tool_use"
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    if not strict:
        _keep_thinking(resp, message)
    usage = usage_from_wire(resp.usage)
    body = {
        "id": resp.id,
        "object": "chat.completion",
        "created": created,
        "model": resp.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(resp)}],
        "usage": usage.openai_json(),
    }
    return body, usage


def _keep_thinking(resp: MessagesResponse, message: dict[str, Any]) -> None:  # Any: OpenAI JSON
    """Thinking as `reasoning_content` plus signed `thinking_blocks` (what the next turn must send back)."""
    blocks: list[dict[str, Any]] = []
    for b in resp.content:
        if b.type == "thinking":
            blocks.append({"type": "thinking", "thinking": b.thinking or "", "signature": b.signature or ""})
        elif b.type == "redacted_thinking":
            blocks.append({"type": "redacted_thinking", "data": b.data or ""})
    thinking = "".join(b.thinking or "" for b in resp.content if b.type == "thinking")
    if thinking:
        message["reasoning_content"] = thinking
    if blocks:
        message["thinking_blocks"] = blocks


def _finish(resp: MessagesResponse) -> str:
    return FINISH_REASONS.get(resp.stop_reason or "end_turn", "stop")


def _encode_args(args: dict[str, Any] | None) -> str:  # Any: tool arguments JSON
    return msgspec.json.encode(args or {}).decode()


_RATE_HEADERS = {
    "anthropic-ratelimit-requests-limit": "x-ratelimit-limit-requests",
    "anthropic-ratelimit-requests-remaining": "x-ratelimit-remaining-requests",
    "anthropic-ratelimit-requests-reset": "x-ratelimit-reset-requests",
    "anthropic-ratelimit-tokens-limit": "x-ratelimit-limit-tokens",
    "anthropic-ratelimit-tokens-remaining": "x-ratelimit-remaining-tokens",
    "anthropic-ratelimit-tokens-reset": "x-ratelimit-reset-tokens",
}


def surfaced_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return the upstream headers worth passing on, with OpenAI-named rate-limit equivalents."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        low = name.lower()
        if low in ("retry-after", "request-id") or low.startswith("anthropic-ratelimit-"):
            out[low] = value
        if low in _RATE_HEADERS:
            out[_RATE_HEADERS[low]] = value
    return out


def parse_error(
    status: int,
    raw: bytes,
    headers: Mapping[str, str],
    *,
    provider: str,
    retry_after_s: float | None = None,
) -> UpstreamError:
    """Map an Anthropic error response to an UpstreamError that keeps its status, type and message."""
    try:
        detail = _DECODE_ERROR.decode(raw).error
        kind, message = detail.type, detail.message
    except msgspec.DecodeError:
        kind, message = "api_error", raw[:500].decode("utf-8", "replace")
    surfaced = surfaced_headers(headers)
    return UpstreamError(
        f"anthropic error: {message}",
        status=status,
        provider=provider,
        type=kind,
        code=kind,
        retry_after_s=retry_after_s,
        headers=surfaced,
    )
