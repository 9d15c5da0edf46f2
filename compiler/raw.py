"""Raw structs: the manifests as written, after JSON Schema validation (one field per schema key).

A contract test keeps these fields and `schemas/*.schema.json` properties identical.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "RawBreaker",
    "RawBudget",
    "RawCache",
    "RawCheck",
    "RawCondition",
    "RawEnv",
    "RawGuardrail",
    "RawHeaderNode",
    "RawHook",
    "RawHookCheck",
    "RawNode",
    "RawPolicy",
    "RawPrice",
    "RawPricing",
    "RawProvider",
    "RawRetry",
    "RawRoute",
    "RawScope",
    "RawStrategy",
]


class _Raw(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of raw structs."""


class RawEnv(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`{env: NAME}`."""

    env: str


class RawProvider(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `provider` manifest."""

    kind: Literal["provider"]
    id: str
    description: str = ""
    type: str
    base_url: str | None = None
    api_key: RawEnv | str | None = None
    models: tuple[str, ...] = ()
    default_model: str | None = None
    request_timeout: int | None = None
    headers: dict[str, RawEnv | str] = {}
    api_version: str | None = None
    deployments: dict[str, str] = {}


class RawBreaker(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`circuit_breaker` / `strategy.cb_config`."""

    failure_threshold: int | None = None
    failure_threshold_percentage: float | None = None
    cooldown_interval: int | None = None
    failure_status_codes: tuple[int, ...] | None = None
    minimum_requests: int | None = None


class RawRetry(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`retry`."""

    attempts: int
    on_status_codes: tuple[int, ...] | None = None
    use_retry_after_header: bool | None = None
    backoff_base_ms: int | None = None
    backoff_max_ms: int | None = None
    jitter: bool | None = None
    max_retry_after_ms: int | None = None


class RawCache(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`cache`."""

    mode: Literal["simple", "semantic"]
    max_age: int | None = None
    threshold: float | None = None


class RawCondition(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One conditional rule."""

    query: dict[str, Any]  # Any: Portkey query language, compiled by passes.conditions
    then: str


class RawStrategy(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`strategy`."""

    mode: Literal["single", "fallback", "loadbalance", "conditional"]
    on_status_codes: tuple[int, ...] | None = None
    conditions: tuple[RawCondition, ...] = ()
    default: str | None = None
    cb_config: RawBreaker | None = None


class RawNode(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A routing node in a route manifest."""

    name: str | None = None
    weight: float | None = None
    provider: str | None = None
    virtual_key: str | None = None
    override_params: dict[str, Any] | None = None  # Any: request parameters
    retry: RawRetry | None = None
    request_timeout: int | None = None
    cache: RawCache | None = None
    custom_host: str | None = None
    forward_headers: tuple[str, ...] | None = None
    strict_open_ai_compliance: bool | None = None
    strategy: RawStrategy | None = None
    targets: tuple[RawNode, ...] = ()
    circuit_breaker: RawBreaker | None = None
    input_guardrails: tuple[str, ...] | None = None
    output_guardrails: tuple[str, ...] | None = None


class RawRoute(RawNode, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `route` manifest: its root node plus route-wide settings."""

    kind: Literal["route"]
    id: str
    description: str = ""
    deadline_ms: int | None = None
    buffer_stream: bool = False
    header_selectable: bool = True


class RawHookCheck(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A check inside a Portkey hook object."""

    id: str
    parameters: dict[str, Any] = {}  # Any: check parameters, validated against the check schema
    is_enabled: bool = True


class RawHook(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A Portkey hook object (`before_request_hooks` / `after_request_hooks`)."""

    type: str = "guardrail"
    id: str | None = None
    checks: tuple[RawHookCheck, ...] = ()
    deny: bool = False
    async_: bool = msgspec.field(default=False, name="async")
    sequential: bool = False
    on_fail: dict[str, Any] | None = None  # Any: Portkey feedback object, ignored
    on_success: dict[str, Any] | None = None  # Any: Portkey feedback object, ignored
    guardrail_version_id: str | None = None


class RawHeaderNode(RawNode, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A node of an `x-portkey-config` header: inline credentials, hooks and shorthand guardrails."""

    api_key: str | None = None
    targets: tuple[RawHeaderNode, ...] = ()
    input_guardrails: tuple[str | dict[str, Any], ...] | None = None  # type: ignore[assignment]
    output_guardrails: tuple[str | dict[str, Any], ...] | None = None  # type: ignore[assignment]
    before_request_hooks: tuple[RawHook, ...] | None = None
    after_request_hooks: tuple[RawHook, ...] | None = None


class RawCheck(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One check of a guardrail manifest."""

    type: str
    parameters: dict[str, Any] = {}  # Any: validated against schemas/checks/<type>.schema.json


class RawGuardrail(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `guardrail` manifest."""

    kind: Literal["guardrail"]
    id: str
    description: str = ""
    checks: tuple[RawCheck, ...]
    applies_to: tuple[Literal["input", "output"], ...] = ("input", "output")
    action: Literal["deny", "flag", "redact"] = "deny"
    stream_mode: Literal["window", "end"] = "window"


class RawScope(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A budget's scope."""

    kind: Literal["key", "key_tag", "metadata", "route", "provider", "model", "global"]
    value: str = ""
    metadata_key: str | None = None


class RawBudget(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `budget` manifest."""

    kind: Literal["budget"]
    id: str
    description: str = ""
    scope: RawScope
    period: Literal["daily", "monthly", "total"] = "monthly"
    limit_usd: float | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    action: Literal["deny", "alert"] = "deny"
    default_reservation_usd: float | None = None


class RawPolicy(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `policy` manifest."""

    kind: Literal["policy"]
    id: str
    description: str = ""
    enforced_input_guardrails: tuple[str, ...] = ()
    enforced_output_guardrails: tuple[str, ...] = ()
    allowed_custom_hosts: tuple[str, ...] = ()
    default_request_timeout: int = 60_000
    default_deadline_ms: int = 300_000
    header_configs: bool = True
    header_selectable_routes: tuple[str, ...] | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    log_prompts: bool = False
    on_valkey_down: Literal["local", "fail_closed"] = "local"
    on_database_down: Literal["spool", "fail_closed"] = "spool"
    cache_partition: Literal["key", "key_tag", "none"] = "key"


class RawPrice(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One model's prices."""

    model: str
    provider_type: str | None = None
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None


class RawPricing(_Raw, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A `pricing` manifest."""

    kind: Literal["pricing"]
    id: str
    description: str = ""
    provider_type: str = "*"
    models: tuple[RawPrice, ...]
