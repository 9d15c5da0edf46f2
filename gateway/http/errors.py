"""One mapping from every failure to OpenAI's error shape; never a traceback, never a bare 500 page."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from gateway.errors import GatewayError, LimitExceeded, UpstreamError

__all__ = ["EXCEPTION_HANDLERS", "error_response"]

_ENCODER = msgspec.json.Encoder()
_LOG = logging.getLogger("gw.http")
_JSON = "application/json"

_HTTP_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def error_response(error: GatewayError) -> Response[bytes]:
    """The OpenAI-shaped response for a gateway error, with its headers."""
    headers = dict(error.headers)
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(error, UpstreamError | LimitExceeded) and isinstance(retry_after, int | float):
        headers.setdefault("retry-after", str(max(0, round(retry_after))))
    return Response(
        content=_ENCODER.encode(error.body()), status_code=error.status, media_type=_JSON, headers=headers
    )


def _gateway_error(request: Request[Any, Any, Any], exc: GatewayError) -> Response[bytes]:
    del request
    return error_response(exc)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    del request
    status = exc.status_code
    kind = _HTTP_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    message = exc.detail if status < 500 else "internal gateway error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Response(content=_ENCODER.encode(body), status_code=status, media_type=_JSON, headers=exc.headers)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    _LOG.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"error": {"message": "internal gateway error", "type": "api_error", "param": None, "code": None}}
    return Response(
        content=_ENCODER.encode(body),
        status_code=500,
        media_type=_JSON,
        headers={"x-portkey-gateway-exception": "true"},
    )


EXCEPTION_HANDLERS = {GatewayError: _gateway_error, HTTPException: _http_error, Exception: _unexpected}
"""Litestar exception handlers: gateway errors, framework errors (404, 405…) and anything else."""
