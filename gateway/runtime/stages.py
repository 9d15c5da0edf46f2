"""The executor's seams to optional components (ports): keys, limits, guardrails, cache, ledger.

Each function is a no-op when its component is absent, so the executor runs without any of them
(cache status `DISABLED`). The order of calls is the one `gateway.ports` documents.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from compiler.specs import CacheSpec
from gateway.errors import AuthError, GatewayError, GuardrailDenied, LimitExceeded, PermissionDenied
from gateway.ports import (
    CacheRequest,
    CheckContext,
    GuardrailRunner,
    KeyStore,
    LimitContext,
    Limiter,
    ResponseCache,
    UsageRecord,
    UsageSink,
)
from gateway.runtime.background import BackgroundTasks
from gateway.runtime.context import RequestContext
from gateway.runtime.linked import LinkedRoute
from gateway.telemetry import Telemetry
from gateway.usage import Usage

__all__ = [
    "Components",
    "PriceFn",
    "authenticate",
    "cache_partition",
    "cache_request",
    "check_context",
    "guard_input",
    "guard_output",
    "limit_context",
    "record_usage",
    "report_refusal",
]

_LOG = logging.getLogger("gw.request")
_ENCODER = msgspec.json.Encoder()

PriceFn = Callable[[str, str, Usage], float | None]
"""Prices usage: (provider type, model, usage) → USD, or None when the model has no price."""


@dataclass(slots=True)
class Components:
    """Optional components the executor drives; None means the feature is off."""

    cache: ResponseCache | None = None
    guardrails: GuardrailRunner | None = None
    limiter: Limiter | None = None
    keys: KeyStore | None = None
    usage: UsageSink | None = None
    telemetry: Telemetry | None = None
    require_keys: bool = False
    """With a key store: refuse requests without a gw key (otherwise only `gw-` bearers are checked)."""
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    """Work after the response (cache stores); shared by every config version built from this one."""
    prices: PriceFn | None = None
    """Prices a cache hit's saved usage for the ledger; None: savings are not recorded."""


async def authenticate(components: Components, route: LinkedRoute, ctx: RequestContext) -> None:
    """Resolve the gw key (when a key store is configured) and check the route is allowed for it."""
    if components.keys is None:
        return
    token = ctx.headers.bearer
    if token is None or not token.startswith("gw-"):
        if components.require_keys:
            raise AuthError("missing gw key: send `Authorization: Bearer gw-…`")
        return
    ctx.key = key = await components.keys.authenticate(token)
    if ctx.telemetry is not None:  # started before the key was known: the request log names it
        ctx.telemetry.key_id = key.id
    if key.allowed_routes and route.spec.id not in key.allowed_routes:
        raise PermissionDenied(f"key `{key.id}` may not use route `{route.spec.id}`")


def check_context(ctx: RequestContext) -> CheckContext:
    """Facts guardrail checks may read."""
    return CheckContext(
        metadata=ctx.headers.metadata, model=ctx.model or None, route_id=ctx.route_id, trace_id=ctx.trace_id
    )


async def guard_input(
    components: Components, ids: tuple[str, ...], body: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:  # Any: OpenAI request JSON
    """Run input guardrails; deny raises 446, flag marks 246, redact returns the changed body."""
    runner = ctx.guardrails or components.guardrails
    if not ids or runner is None:
        return body
    outcome = await runner.check_input(ids, body, check_context(ctx))
    ctx.hook_results.setdefault("before_request_hooks", []).extend(outcome.hook_results)
    _report(ctx, "input", outcome.hook_results)
    if outcome.verdict == "deny":
        raise GuardrailDenied(_hooks(ctx))
    if outcome.verdict == "flag":
        ctx.status = 246
    return outcome.body if outcome.body is not None else body


async def guard_output(
    components: Components,
    ids: tuple[str, ...],
    response: dict[str, Any],
    request: dict[str, Any],
    ctx: RequestContext,
) -> dict[str, Any] | None:  # Any: OpenAI JSON
    """Run output guardrails on a complete response; return a changed body or None if unchanged."""
    runner = ctx.guardrails or components.guardrails
    if not ids or runner is None:
        return None
    outcome = await runner.check_output(ids, response, request, check_context(ctx))
    ctx.hook_results.setdefault("after_request_hooks", []).extend(outcome.hook_results)
    _report(ctx, "output", outcome.hook_results)
    if outcome.verdict == "deny":
        raise GuardrailDenied(_hooks(ctx))
    if outcome.verdict == "flag":
        ctx.status = 246
    return outcome.body


def _report(ctx: RequestContext, phase: str, hooks: list[dict[str, Any]]) -> None:  # Any: Portkey's hooks
    """Tell the request's telemetry each guardrail's verdict (`pass`, `flag`, `deny`, `redact`)."""
    if ctx.telemetry is None:
        return
    for hook in hooks:
        verdict = "deny" if hook.get("deny") else "redact" if hook.get("transformed") else "pass"
        if verdict == "pass" and not hook.get("verdict", True):
            verdict = "flag"
        ctx.telemetry.guardrail_checked(str(hook.get("id", "")), phase, verdict)


def report_refusal(ctx: RequestContext, exc: GatewayError) -> None:
    """Tell the request's telemetry that a rate limit or budget refused it (log, metric, console)."""
    if ctx.telemetry is None or not isinstance(exc, LimitExceeded):
        return
    if exc.code == "budget_exceeded":
        ctx.telemetry.budget_checked("deny", None)
        ctx.telemetry.limited("budget")
    elif exc.code == "rate_limit_exceeded":
        ctx.telemetry.limited("tokens" if "tokens per" in exc.message else "requests")


def _hooks(ctx: RequestContext) -> dict[str, Any]:  # Any: Portkey's hook_results shape
    return {
        "before_request_hooks": ctx.hook_results.get("before_request_hooks", []),
        "after_request_hooks": ctx.hook_results.get("after_request_hooks", []),
    }


def limit_context(ctx: RequestContext, body: dict[str, Any] | None = None) -> LimitContext:
    """Who and what a limit counts; the prompt estimate is ~4 bytes per token of the messages."""
    max_tokens = None
    estimate = 0
    if body is not None:
        raw = body.get("max_completion_tokens", body.get("max_tokens"))
        max_tokens = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        estimate = len(str(body.get("messages") or body.get("input") or body.get("prompt") or "")) // 4
    return LimitContext(
        key=ctx.key,
        route_id=ctx.route_id,
        provider_id=ctx.provider_id,
        provider_type=ctx.provider_type,
        model=ctx.model,
        metadata=ctx.headers.metadata,
        estimated_prompt_tokens=estimate,
        max_tokens=max_tokens,
    )


def cache_request(
    route: LinkedRoute, ctx: RequestContext, body: dict[str, Any], spec: CacheSpec
) -> CacheRequest:  # Any: OpenAI request JSON
    """Build the cache port's request, partitioned per the policy (key, key tag or shared)."""
    return CacheRequest(
        spec=spec,
        body=body,
        partition=cache_partition(route.cache_partition, ctx),
        provider_id=ctx.provider_id,
        route_id=route.spec.id,
        force_refresh=ctx.headers.cache_force_refresh,
    )


def cache_partition(mode: str, ctx: RequestContext) -> str:
    """The tenant (key id, or its tags under `key_tag`) and the namespace, encoded unambiguously.

    A JSON pair, so no namespace a client sends can spell another tenant's partition; a key with no
    tags keeps a partition of its own under `key_tag`.
    """
    tenant: list[str] = []
    key = ctx.key
    if key is not None and mode != "none":
        tenant = ["tags", *sorted(key.tags)] if mode == "key_tag" and key.tags else ["key", key.id]
    namespace = ctx.headers.cache_namespace
    if not tenant and not namespace:
        return ""
    return _ENCODER.encode([tenant, namespace]).decode()


def record_usage(components: Components, ctx: RequestContext, status: int) -> None:
    """Write the ledger row (off the request path) and the request log line."""
    if components.usage is not None:
        components.usage.record(
            UsageRecord(
                trace_id=ctx.trace_id,
                ts=ctx.started,
                key_id=ctx.key.id if ctx.key else None,
                route_id=ctx.route_id,
                target_path=ctx.last_path,
                provider_id=ctx.provider_id,
                model=ctx.model,
                usage=ctx.usage or Usage(),
                cost_usd=ctx.cost_usd,
                saved_usd=ctx.saved_usd,
                cache_status=ctx.cache_status,
                status=status,
                latency_ms=ctx.elapsed_ms(),
                config_hash=ctx.config_hash,
            )
        )
    if ctx.telemetry is not None:
        if ctx.cache_status in ("HIT", "SEMANTIC HIT"):  # no attempt named the answering target
            ctx.telemetry.request_finished(
                status=status,
                usage=ctx.usage,
                cost_usd=ctx.cost_usd,
                target_path=ctx.last_path,
                provider=ctx.provider_id,
                model=ctx.model,
            )
        else:
            ctx.telemetry.request_finished(status=status, usage=ctx.usage, cost_usd=ctx.cost_usd)
        ctx.telemetry = None  # exactly once
    elif _LOG.isEnabledFor(logging.INFO):
        _LOG.info(
            "request",
            extra={
                "gw.trace_id": ctx.trace_id,
                "gw.route": ctx.route_id,
                "gw.path": ctx.last_path,
                "gw.provider": ctx.provider_id,
                "gw.status": status,
                "gw.latency_ms": round(ctx.elapsed_ms(), 2),
                "gw.ts": time.time(),
            },
        )
