"""The errors a limit refusal becomes, in OpenAI's shape (see docs/budgets.md for the contract).

* Rate limit: 429, type `rate_limit_error`, code `rate_limit_exceeded`, `Retry-After` (seconds) and
  `retry-after-ms`: the OpenAI and Anthropic SDKs wait that long before their automatic retry.
* Budget: 429, type and code `budget_exceeded` (OpenAI's own quota refusal is a 429 whose type and
  code are `insufficient_quota`), `x-gw-budget-remaining`, `x-should-retry: false` so SDKs do not
  retry a refusal that only the next period or an operator can lift, and `Retry-After` until the
  period ends (none for `total` budgets).
* Limits unavailable (`on_valkey_down: fail_closed`): 503, code `limits_unavailable`, `Retry-After`.
"""

from __future__ import annotations

import math

from gateway.errors import LimitExceeded
from gateway.limits.nanodollars import from_nanos

__all__ = ["budget_refusal", "format_usd", "rate_refusal", "unavailable_refusal"]


def format_usd(nanos: int) -> str:
    """Render an amount for `x-gw-budget-remaining` and messages: USD with six decimals."""
    return f"{from_nanos(nanos):.6f}"


def _seconds(value: float) -> str:
    return str(max(1, math.ceil(value)))


def rate_refusal(label: str, retry_after_s: float) -> LimitExceeded:
    """A rate window is full: retry once the oldest entries leave it."""
    headers = {
        "Retry-After": _seconds(retry_after_s),
        "retry-after-ms": str(max(1, math.ceil(retry_after_s * 1000))),
    }
    return LimitExceeded(
        f"rate limit exceeded: {label}; retry after {headers['Retry-After']} s",
        code="rate_limit_exceeded",
        headers=headers,
    )


def budget_refusal(
    label: str, *, limit: int, remaining: int, needed: int, period_end: float | None, now: float
) -> LimitExceeded:
    """A hard budget cannot hold this request's estimated maximum cost."""
    remaining = max(0, remaining)
    headers = {"x-gw-budget-remaining": format_usd(remaining), "x-should-retry": "false"}
    if period_end is not None:
        headers["Retry-After"] = _seconds(period_end - now)
    error = LimitExceeded(
        f"budget exceeded: {label} has {format_usd(remaining)} USD left of {format_usd(limit)} USD; "
        f"this request may cost up to {format_usd(needed)} USD",
        code="budget_exceeded",
        headers=headers,
    )
    error.type = "budget_exceeded"
    return error


def unavailable_refusal(retry_after_s: float) -> LimitExceeded:
    """The shared limit store is down and the policy is `fail_closed`."""
    return LimitExceeded(
        "limits cannot be checked right now (shared limit store unavailable); retry shortly",
        code="limits_unavailable",
        status=503,
        headers={"Retry-After": _seconds(retry_after_s)},
    )
