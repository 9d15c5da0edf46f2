"""Portkey request headers parsed once per request into a typed, validated struct.

Every malformed value is a `RequestError` naming the header (`param`), never an exception of
another kind: the fuzz test in tests/gateway/runtime feeds this parser random headers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from gateway.errors import RequestError

__all__ = ["NEVER_FORWARDED", "RequestHeaders", "parse_headers"]

_DECODER = msgspec.json.Decoder()
_TRACE_ID = re.compile(r"^[A-Za-z0-9._:/=+-]{1,128}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_MAX_METADATA_KEYS = 64
_MAX_FORWARD = 32
NEVER_FORWARDED = frozenset(
    {"authorization", "host", "content-length", "content-type", "connection", "transfer-encoding", "cookie"}
)


@dataclass(slots=True)
class RequestHeaders:
    """What the gateway reads from a request's headers."""

    trace_id: str
    trace_generated: bool = False
    config: str | None = None
    """Raw `x-portkey-config`: a JSON object or a route id."""
    provider: str | None = None
    bearer: str | None = None
    """Token from `Authorization: Bearer …` (a gw key or, for config-less calls, the provider key)."""
    metadata: dict[str, str] = field(default_factory=dict)
    request_timeout_ms: int | None = None
    custom_host: str | None = None
    forward_headers: tuple[str, ...] = ()
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Every request header (lowercase names), for `forward_headers`."""
    cache_force_refresh: bool = False
    cache_namespace: str = ""
    strict_openai_compliance: bool | None = None


def _metadata(raw: str) -> dict[str, str]:
    try:
        value: Any = _DECODER.decode(raw)  # Any: untrusted JSON
    except msgspec.DecodeError:
        raise RequestError("x-portkey-metadata must be a JSON object", param="x-portkey-metadata") from None
    if not isinstance(value, dict):
        raise RequestError("x-portkey-metadata must be a JSON object", param="x-portkey-metadata")
    if len(value) > _MAX_METADATA_KEYS:
        raise RequestError(
            f"x-portkey-metadata has more than {_MAX_METADATA_KEYS} keys", param="x-portkey-metadata"
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            out[key] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            out[key] = str(item)
        elif item is not None:
            raise RequestError(
                f"x-portkey-metadata value for `{key}` must be a string, number or boolean",
                param="x-portkey-metadata",
            )
    return out


def _timeout(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if not 0 < value <= 3_600_000:
        raise RequestError(
            "x-portkey-request-timeout must be an integer number of milliseconds between 1 and 3600000",
            param="x-portkey-request-timeout",
        )
    return value


def _forward_list(raw: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in raw.split(",") if name.strip())
    if len(names) > _MAX_FORWARD:
        raise RequestError(f"x-portkey-forward-headers lists more than {_MAX_FORWARD} headers")
    for name in names:
        if not _HEADER_NAME.match(name) or name in NEVER_FORWARDED or name.startswith("x-portkey-"):
            raise RequestError(
                f"x-portkey-forward-headers: `{name[:64]}` cannot be forwarded",
                param="x-portkey-forward-headers",
            )
    return names


def _trace_id(raw: str | None) -> tuple[str, bool]:
    if raw is None or raw == "":
        return uuid.uuid4().hex, True
    if not _TRACE_ID.match(raw):
        raise RequestError(
            "x-portkey-trace-id must be 1-128 characters of letters, digits and ._:/=+-",
            param="x-portkey-trace-id",
        )
    return raw, False


def _bearer(raw: str | None) -> str | None:
    if raw is None:
        return None
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError("Authorization must be `Bearer <token>`", param="authorization")
    return token.strip()


def _strict(raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise RequestError(
            "x-portkey-strict-open-ai-compliance must be `true` or `false`",
            param="x-portkey-strict-open-ai-compliance",
        )
    return value == "true"


def parse_headers(headers: Mapping[str, str]) -> RequestHeaders:
    """Parse Portkey's request headers (names lowercase) or raise RequestError."""
    trace_id, generated = _trace_id(headers.get("x-portkey-trace-id"))
    metadata = headers.get("x-portkey-metadata")
    timeout = headers.get("x-portkey-request-timeout")
    forward = headers.get("x-portkey-forward-headers")
    config = headers.get("x-portkey-config")
    provider = headers.get("x-portkey-provider")
    return RequestHeaders(
        trace_id=trace_id,
        trace_generated=generated,
        config=config.strip() if config is not None and config.strip() else None,
        provider=provider.strip().lower() if provider is not None and provider.strip() else None,
        bearer=_bearer(headers.get("authorization")),
        metadata=_metadata(metadata) if metadata is not None else {},
        request_timeout_ms=_timeout(timeout) if timeout is not None else None,
        custom_host=headers.get("x-portkey-custom-host") or None,
        forward_headers=_forward_list(forward) if forward is not None else (),
        cache_force_refresh="x-portkey-cache-force-refresh" in headers,
        cache_namespace=(headers.get("x-portkey-cache-namespace") or "")[:128],
        strict_openai_compliance=_strict(headers.get("x-portkey-strict-open-ai-compliance")),
        raw=headers,
    )
