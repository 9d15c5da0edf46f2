"""Reading and checking request bodies: size limit, JSON object, the few fields the gateway relies on."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from gateway.errors import PayloadTooLarge, RequestError

__all__ = ["check_chat", "check_completion", "check_embedding", "read_json"]

_DECODER = msgspec.json.Decoder()


async def read_json(request: Request[Any, Any, Any], limit: int) -> dict[str, Any]:  # Any: JSON
    """Read the body (at most `limit` bytes) and decode it as a JSON object."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise RequestError("request body is empty; expected a JSON object")
    try:
        value = _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        raise RequestError(f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RequestError(f"request body must be a JSON object, not {type(value).__name__}")
    return value


def _type_error(name: str, expected: str) -> RequestError:
    return RequestError(f"`{name}` must be {expected}", param=name, code="invalid_type")


def _common(body: dict[str, Any]) -> bool:  # Any: JSON
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _type_error("model", "a string")
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise _type_error("stream", "a boolean")
    return stream is True


def check_chat(body: dict[str, Any]) -> bool:  # Any: JSON
    """Check a chat request's shape; return whether it asks for a stream."""
    stream = _common(body)
    messages = body.get("messages")
    if messages is None:
        raise RequestError("`messages` is required", param="messages", code="missing_required_parameter")
    if not isinstance(messages, list) or not messages:
        raise _type_error("messages", "a non-empty array")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise _type_error(f"messages[{i}]", "an object with a string `role`")
    return stream


def check_completion(body: dict[str, Any]) -> bool:  # Any: JSON
    """Check a legacy completion request; return whether it asks for a stream."""
    stream = _common(body)
    if "prompt" not in body:
        raise RequestError("`prompt` is required", param="prompt", code="missing_required_parameter")
    return stream


def check_embedding(body: dict[str, Any]) -> None:  # Any: JSON
    """Check an embeddings request."""
    _common(body)
    value = body.get("input")
    if value is None:
        raise RequestError("`input` is required", param="input", code="missing_required_parameter")
    if not isinstance(value, str | list) or (isinstance(value, list) and not value):
        raise _type_error("input", "a string or a non-empty array")
    if body.get("stream"):
        raise RequestError("embeddings cannot be streamed", param="stream")
