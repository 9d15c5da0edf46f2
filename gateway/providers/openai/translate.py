"""Pure translations between OpenAI's wire format and the gateway's types (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from gateway.errors import UpstreamError
from gateway.providers.transport import retry_after_seconds
from gateway.usage import Usage

__all__ = ["decode_object", "error_from_reply", "surfaced_headers", "usage_from"]

_DECODER = msgspec.json.Decoder()
_SURFACED = ("x-request-id", "openai-processing-ms", "x-ratelimit-remaining-requests")


def decode_object(data: bytes) -> dict[str, Any] | None:  # Any: OpenAI JSON
    """Decode a JSON object, or None when the bytes are not one."""
    try:
        value = _DECODER.decode(data)
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, dict) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from(body: Mapping[str, Any] | None) -> Usage:  # Any: OpenAI JSON
    """Normalise OpenAI's `usage` object (cached and reasoning details included)."""
    raw = body.get("usage") if body else None
    if not isinstance(raw, dict):
        return Usage()
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    return Usage(
        prompt_tokens=_int(raw.get("prompt_tokens")),
        completion_tokens=_int(raw.get("completion_tokens")),
        cached_read_tokens=_int(prompt_details.get("cached_tokens"))
        if isinstance(prompt_details, dict)
        else 0,
        reasoning_tokens=(
            _int(completion_details.get("reasoning_tokens")) if isinstance(completion_details, dict) else 0
        ),
    )


def surfaced_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Upstream headers worth passing on to the client."""
    return {name: headers[name] for name in _SURFACED if name in headers}


def error_from_reply(
    provider: str, status: int, headers: Mapping[str, str], data: bytes, *, label: str = "openai"
) -> UpstreamError:
    """Turn a non-2xx OpenAI-style answer into an UpstreamError carrying the provider's status."""
    body = decode_object(data)
    error = body.get("error") if body else None
    if isinstance(error, dict):
        message = str(error.get("message") or f"status {status}")
        kind = error.get("type")
        param = error.get("param")
        code = error.get("code")
    else:
        message = f"status {status}"
        kind, param, code = None, None, None
    return UpstreamError(
        f"{label} error: {message}",
        status=status,
        provider=provider,
        type=kind if isinstance(kind, str) else "api_error",
        param=param if isinstance(param, str) else None,
        code=str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None,
        retry_after_s=retry_after_seconds(headers),
    )
