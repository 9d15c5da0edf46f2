"""OpenAI's embeddings response shape, built from plain vectors (providers that return floats only).

OpenAI's `encoding_format: base64` is the little-endian float32 bytes of each vector, base64-encoded;
providers that only return float lists (Gemini, Ollama) are encoded here so clients see one format.
"""

from __future__ import annotations

import array
import base64
import sys
from collections.abc import Sequence
from typing import Any

from gateway.errors import RequestError

__all__ = ["embedding_inputs", "embeddings_body", "encode_vector"]


def encode_vector(vector: Sequence[float], encoding_format: str) -> list[float] | str:
    """Return the vector as floats, or as OpenAI's base64 of little-endian float32."""
    if encoding_format == "float":
        return list(vector)
    packed = array.array("f", vector)
    if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def embedding_inputs(body: dict[str, Any], provider: str) -> list[str]:  # Any: OpenAI request JSON
    """Return the request's inputs as a list of strings; token-id inputs are refused with a 400."""
    value = body.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, list) and not value:
        raise RequestError("`input` must not be empty", param="input")
    raise RequestError(
        f"{provider} embeddings accept text inputs only (a string or a list of strings)", param="input"
    )


def embeddings_body(
    vectors: Sequence[Sequence[float]],
    *,
    model: str,
    encoding_format: str | None,
    prompt_tokens: int,
) -> dict[str, Any]:  # Any: OpenAI embeddings JSON
    """Build OpenAI's `list` of embeddings from vectors in input order."""
    fmt = encoding_format or "float"
    if fmt not in ("float", "base64"):
        raise RequestError("`encoding_format` must be `float` or `base64`", param="encoding_format")
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode_vector(v, fmt)}
            for i, v in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
