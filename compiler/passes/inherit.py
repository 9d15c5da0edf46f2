"""Settings inherited down a routing tree (Portkey semantics) and their compiled forms."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import msgspec

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.pointer import join
from compiler.raw import RawBreaker, RawCache, RawNode, RawRetry
from compiler.specs import CacheSpec, CircuitBreakerSpec, RetrySpec

__all__ = ["Inherited", "build_breaker", "build_cache", "build_retry", "inherit"]

_SEMANTIC_MIN = 0.8


@dataclass(frozen=True)
class Inherited:
    """What a node passes to its children: replaced by a child's own setting, else merged or appended."""

    override_params: dict[str, Any] = field(default_factory=dict)  # Any: request parameters (JSON)
    retry: RetrySpec | None = None
    request_timeout_ms: int | None = None
    cache: CacheSpec | None = None
    custom_host: str | None = None
    forward_headers: tuple[str, ...] = ()
    strict: bool = True
    circuit_breaker: CircuitBreakerSpec | None = None
    input_hooks: tuple[str, ...] = ()
    """Guardrails from full hook objects: replaced by a child's own hooks."""
    output_hooks: tuple[str, ...] = ()
    input_guardrails: tuple[str, ...] = ()
    """Guardrails from `input_guardrails`: appended along the path."""
    output_guardrails: tuple[str, ...] = ()


def build_retry(doc: Document, pointer: str, raw: RawRetry) -> tuple[RetrySpec, list[Diagnostic]]:
    """Compile `retry`, checking that the backoff bounds are ordered."""
    base = RetrySpec()
    spec = RetrySpec(
        attempts=raw.attempts,
        on_status_codes=raw.on_status_codes if raw.on_status_codes is not None else base.on_status_codes,
        use_retry_after_header=bool(raw.use_retry_after_header),
        backoff_base_ms=raw.backoff_base_ms if raw.backoff_base_ms is not None else base.backoff_base_ms,
        backoff_max_ms=raw.backoff_max_ms if raw.backoff_max_ms is not None else base.backoff_max_ms,
        jitter=raw.jitter if raw.jitter is not None else base.jitter,
        max_retry_after_ms=raw.max_retry_after_ms
        if raw.max_retry_after_ms is not None
        else base.max_retry_after_ms,
    )
    if spec.backoff_base_ms > spec.backoff_max_ms:
        msg = (
            f"`backoff_base_ms` ({spec.backoff_base_ms}) is larger than "
            f"`backoff_max_ms` ({spec.backoff_max_ms})"
        )
        return spec, [doc.diag("GW-E0508", join(pointer, "backoff_base_ms"), msg)]
    return spec, []


def build_cache(doc: Document, pointer: str, raw: RawCache) -> tuple[CacheSpec, list[Diagnostic]]:
    """Compile `cache`; warn about semantic thresholds that match unrelated prompts."""
    spec = CacheSpec(mode=raw.mode, max_age_s=raw.max_age)
    if raw.threshold is not None:
        spec = msgspec.structs.replace(spec, threshold=raw.threshold)
    if spec.mode == "semantic" and spec.threshold < _SEMANTIC_MIN:
        msg = f"semantic cache threshold {spec.threshold} is below {_SEMANTIC_MIN}"
        hint = "low thresholds return answers to different questions; 0.9–0.97 is typical"
        where = join(pointer, "threshold")
        return spec, [doc.diag("GW-W0904", where, msg, hint=hint)]
    return spec, []


def build_breaker(raw: RawBreaker) -> CircuitBreakerSpec:
    """Compile `circuit_breaker` / `cb_config` (cooldown in milliseconds)."""
    base = CircuitBreakerSpec()
    return CircuitBreakerSpec(
        failure_threshold=raw.failure_threshold or base.failure_threshold,
        failure_status_codes=raw.failure_status_codes or base.failure_status_codes,
        cooldown_ms=raw.cooldown_interval if raw.cooldown_interval is not None else base.cooldown_ms,
        minimum_requests=raw.minimum_requests or base.minimum_requests,
        failure_threshold_percentage=raw.failure_threshold_percentage,
    )


def inherit(doc: Document, pointer: str, node: RawNode, up: Inherited) -> tuple[Inherited, list[Diagnostic]]:
    """Apply a node's own settings over what it inherits (guardrails are handled by the tree builder)."""
    diags: list[Diagnostic] = []
    out = up
    if node.override_params:
        out = replace(out, override_params={**out.override_params, **node.override_params})
    if node.retry is not None:
        retry, errs = build_retry(doc, join(pointer, "retry"), node.retry)
        out, diags = replace(out, retry=retry), diags + errs
    if node.cache is not None:
        cache, errs = build_cache(doc, join(pointer, "cache"), node.cache)
        out, diags = replace(out, cache=cache), diags + errs
    if node.request_timeout is not None:
        out = replace(out, request_timeout_ms=node.request_timeout)
    if node.custom_host is not None:
        out = replace(out, custom_host=node.custom_host)
    if node.forward_headers is not None:
        out = replace(out, forward_headers=node.forward_headers)
        diags += _check_forward_headers(doc, join(pointer, "forward_headers"), node.forward_headers)
    if node.strict_open_ai_compliance is not None:
        out = replace(out, strict=node.strict_open_ai_compliance)
    breaker = node.circuit_breaker or (node.strategy.cb_config if node.strategy else None)
    if breaker is not None:
        out = replace(out, circuit_breaker=build_breaker(breaker))
    return out, diags


def _check_forward_headers(doc: Document, pointer: str, names: tuple[str, ...]) -> list[Diagnostic]:
    return [
        doc.diag("GW-E0510", join(pointer, i), f"header `{name}` cannot be forwarded")
        for i, name in enumerate(names)
        if name.lower() in ("x-portkey-forward-headers", "x-portkey-config", "authorization")
    ]
