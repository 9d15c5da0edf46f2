"""The gateway's one error hierarchy; `gateway.http` maps every member to OpenAI's error shape.

    GatewayError (status, type, message, param, code)
    ├── RequestError                 400  invalid_request_error   bad body, bad header, unknown route
    │   ├── ConfigHeaderError        400  invalid_request_error   x-portkey-config did not compile
    │   └── PayloadTooLarge          413  invalid_request_error
    ├── AuthError                    401  authentication_error    missing, unknown, revoked, expired key
    ├── PermissionDenied             403  permission_error        route/model not allowed for the key
    ├── NotFound                     404  not_found_error
    ├── LimitExceeded                429  rate_limit_error / budget_exceeded (Retry-After)
    ├── GuardrailDenied              446  hooks_failed            (Portkey's shape, with hook_results)
    ├── UpstreamError                <provider's status>          a provider answered with an error
    │   ├── UpstreamTimeout          408  timeout_error           per-attempt timeout or deadline
    │   └── UpstreamUnavailable      502  api_error               connect/reset/protocol failure
    ├── AllTargetsFailed             <last status>                every target of a tree failed
    └── StreamBroken                 (terminal SSE event)         the upstream broke after the first byte

Messages never contain secrets: callers build them from names, never from credential values.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AllTargetsFailed",
    "AuthError",
    "ConfigHeaderError",
    "GatewayError",
    "GuardrailDenied",
    "LimitExceeded",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RequestError",
    "StreamBroken",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class GatewayError(Exception):
    """Base of every error the gateway reports to a client."""

    status: int = 500
    type: str = "api_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = headers or {}

    def body(self) -> dict[str, Any]:  # Any: JSON wire shape
        """Return the OpenAI-shaped error body."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class RequestError(GatewayError):
    """The client's request is malformed or names something that does not exist."""

    status = 400
    type = "invalid_request_error"


class ConfigHeaderError(RequestError):
    """The `x-portkey-config` header did not compile; `diagnostics` lists every problem."""

    def __init__(self, message: str, *, diagnostics: list[dict[str, Any]], param: str | None = None) -> None:
        super().__init__(message, param=param, code="invalid_config")
        self.diagnostics = diagnostics

    def body(self) -> dict[str, Any]:  # Any: JSON wire shape
        """Return the error body with every diagnostic attached."""
        out = super().body()
        out["error"]["diagnostics"] = self.diagnostics
        return out


class PayloadTooLarge(RequestError):
    """The request body exceeds the policy's limit."""

    status = 413


class AuthError(GatewayError):
    """No valid credential was presented."""

    status = 401
    type = "authentication_error"


class PermissionDenied(GatewayError):
    """The credential is valid but may not do this."""

    status = 403
    type = "permission_error"


class NotFound(GatewayError):
    """The path or object does not exist."""

    status = 404
    type = "not_found_error"


class LimitExceeded(GatewayError):
    """A rate limit or budget refused the request."""

    status = 429
    type = "rate_limit_error"


class GuardrailDenied(GatewayError):
    """A deny guardrail failed; the body carries Portkey's `hook_results`."""

    status = 446
    type = "hooks_failed"

    def __init__(self, hook_results: dict[str, Any]) -> None:
        super().__init__(
            "The guardrail checks defined in the config failed. "
            "You can find more information in the `hook_results` object."
        )
        self.hook_results = hook_results

    def body(self) -> dict[str, Any]:  # Any: JSON wire shape
        """Return Portkey's 446 body."""
        out = super().body()
        out["hook_results"] = self.hook_results
        return out


class UpstreamError(GatewayError):
    """A provider answered with an error status; `status` is the provider's own."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        provider: str,
        type: str = "api_error",
        param: str | None = None,
        code: str | None = None,
        retry_after_s: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code, status=status, headers=headers)
        self.type = type
        self.provider = provider
        self.retry_after_s = retry_after_s

    def body(self) -> dict[str, Any]:  # Any: JSON wire shape
        """Return the OpenAI-shaped body plus the provider, as Portkey does."""
        out = super().body()
        out["provider"] = self.provider
        return out


class UpstreamTimeout(UpstreamError):
    """An attempt exceeded its timeout or the request's deadline."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message, status=408, provider=provider, type="timeout_error")


class UpstreamUnavailable(UpstreamError):
    """The provider could not be reached or broke the protocol."""

    def __init__(self, message: str, *, provider: str, status: int = 502) -> None:
        super().__init__(message, status=status, provider=provider, type="api_error")


class AllTargetsFailed(GatewayError):
    """Every target of the routing tree failed; `attempts` lists each one."""

    def __init__(self, last: GatewayError, attempts: list[dict[str, Any]]) -> None:
        summary = ", ".join(f"{a.get('path')}: {a.get('status')}" for a in attempts)
        super().__init__(f"all targets failed ({summary}); last error: {last.message}", status=last.status)
        self.type = last.type
        self.code = last.code
        self.last = last
        self.attempts = attempts
        self.headers = dict(last.headers)

    def body(self) -> dict[str, Any]:  # Any: JSON wire shape
        """Return the last error's body with the attempt trail."""
        out = self.last.body()
        out["error"]["message"] = self.message
        out["error"]["attempts"] = self.attempts
        return out


class StreamBroken(GatewayError):
    """The upstream stream failed after bytes reached the client: ends with a terminal SSE error event."""

    status = 502
    type = "stream_error"
