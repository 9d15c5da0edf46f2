"""Pure translation of Gemini responses, usage and errors into OpenAI's shapes.

SAFETY-like finish reasons and blocked prompts become `content_filter`; usage counts thoughts as
reasoning (inside completion tokens) and `cachedContentTokenCount` as cached reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import UpstreamError
from gateway.providers.gemini.wire import (
    Candidate,
    ErrorBody,
    FunctionCall,
    GenerateContentResponse,
    UsageMetadata,
)
from gateway.usage import Usage

__all__ = [
    "ERROR_TYPES",
    "chat_completion",
    "finish_reason",
    "parse_error",
    "tool_call",
    "usage_from_metadata",
]

_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"}
)
ERROR_TYPES: Mapping[str, str] = {
    "INVALID_ARGUMENT": "invalid_request_error",
    "FAILED_PRECONDITION": "invalid_request_error",
    "OUT_OF_RANGE": "invalid_request_error",
    "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "not_found_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "DEADLINE_EXCEEDED": "timeout_error",
}
_DECODE_ERROR = msgspec.json.Decoder(ErrorBody)


def usage_from_metadata(meta: UsageMetadata | None) -> Usage:
    """Normalise usageMetadata: thoughts are reasoning tokens, counted inside completion tokens."""
    if meta is None:
        return Usage()
    return Usage(
        prompt_tokens=meta.prompt_token_count + meta.tool_use_prompt_token_count,
        completion_tokens=meta.candidates_token_count + meta.thoughts_token_count,
        cached_read_tokens=meta.cached_content_token_count,
        reasoning_tokens=meta.thoughts_token_count,
    )


def finish_reason(reason: str | None, has_calls: bool) -> str | None:
    """Map Gemini's finishReason to OpenAI's finish_reason (None while a stream is still going)."""
    if reason is None or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if reason in _FILTERED:
        return "content_filter"
    if reason == "MAX_TOKENS":
        return "length"
    return "tool_calls" if has_calls else "stop"


def tool_call(call: FunctionCall, position: int) -> dict[str, Any]:  # Any: OpenAI JSON
    """An OpenAI tool call for a Gemini functionCall (Gemini ids are optional; gw numbers the calls)."""
    arguments = msgspec.json.encode(call.args or {}).decode()
    return {
        "id": call.id or f"call_{position}",
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def _choice(candidate: Candidate, strict: bool) -> dict[str, Any]:  # Any: OpenAI JSON
    parts = candidate.content.parts if candidate.content else []
    text = "".join(p.text or "" for p in parts if p.text is not None and not p.thought)
    found = [p.function_call for p in parts if p.function_call is not None]
    calls = [tool_call(call, i) for i, call in enumerate(found)]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    thoughts = "".join(p.text or "" for p in parts if p.thought)
    if thoughts and not strict:
        message["reasoning_content"] = thoughts
    finish = finish_reason(candidate.finish_reason, bool(calls)) or "stop"
    return {"index": candidate.index, "message": message, "logprobs": None, "finish_reason": finish}


def chat_completion(
    resp: GenerateContentResponse, *, model: str, created: int, strict: bool
) -> tuple[dict[str, Any], Usage]:  # Any: OpenAI JSON
    """Translate a `generateContent` response into an OpenAI `chat.completion` and its usage."""
    choices = [_choice(c, strict) for c in resp.candidates]
    if not choices:  # the prompt itself was blocked
        message = {"role": "assistant", "content": None}
        choices = [{"index": 0, "message": message, "logprobs": None, "finish_reason": "content_filter"}]
    usage = usage_from_metadata(resp.usage_metadata)
    body = {
        "id": f"chatcmpl-{resp.response_id or 'gemini'}",
        "object": "chat.completion",
        "created": created,
        "model": resp.model_version or model,
        "choices": choices,
        "usage": usage.openai_json(),
    }
    return body, usage


def parse_error(
    status: int,
    raw: bytes,
    *,
    provider: str,
    retry_after_s: float | None = None,
    headers: dict[str, str] | None = None,
) -> UpstreamError:
    """Map a Google error body to an UpstreamError that keeps the HTTP status and the message."""
    try:
        detail = _DECODE_ERROR.decode(raw).error
        message, kind = detail.message, detail.status
    except msgspec.DecodeError:
        message, kind = raw[:500].decode("utf-8", "replace"), ""
    return UpstreamError(
        f"gemini error: {message}",
        status=status,
        provider=provider,
        type=ERROR_TYPES.get(kind, "api_error"),
        code=kind or None,
        retry_after_s=retry_after_s,
        headers=headers,
    )
