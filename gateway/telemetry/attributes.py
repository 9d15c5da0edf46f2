"""Span attributes and metric label pairs derived from gw's values (`gen_ai.*` conventions, `gw.*`)."""

from __future__ import annotations

from gateway.telemetry.tracing import AttributeValue, gen_ai_system
from gateway.usage import Usage

__all__ = ["attempt_attributes", "request_attributes", "usage_attributes", "usage_fields"]


def usage_fields(usage: Usage) -> tuple[tuple[str, int], ...]:
    """Token counts by class, as metric label values and log fields."""
    return (
        ("input", usage.prompt_tokens),
        ("output", usage.completion_tokens),
        ("cached_read", usage.cached_read_tokens),
        ("cache_write", usage.cache_write_tokens),
        ("reasoning", usage.reasoning_tokens),
    )


def usage_attributes(usage: Usage) -> dict[str, AttributeValue]:
    """The `gen_ai.usage.*` span attributes of a usage."""
    return {
        "gen_ai.usage.input_tokens": usage.prompt_tokens,
        "gen_ai.usage.output_tokens": usage.completion_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cached_read_tokens,
        "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
    }


def request_attributes(
    *,
    route: str,
    config_hash: str,
    source: str,
    trace_id: str,
    stream: bool,
    operation: str,
    model: str | None,
) -> dict[str, AttributeValue]:
    """Attributes of `gw.request` known when it starts."""
    attrs: dict[str, AttributeValue] = {
        "gw.route": route,
        "gw.config_hash": config_hash,
        "gw.source": source,
        "gw.trace_id": trace_id,
        "gw.stream": stream,
        "gen_ai.operation.name": operation,
    }
    if model:
        attrs["gen_ai.request.model"] = model
    return attrs


def attempt_attributes(
    *,
    path: str,
    provider: str,
    provider_type: str,
    model: str | None,
    operation: str,
    number: int,
    source: str,
) -> dict[str, AttributeValue]:
    """Attributes of a `gw.attempt` span."""
    return {
        "gen_ai.system": gen_ai_system(provider_type),
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": model or "",
        "gw.provider": provider,
        "gw.target_path": path,
        "gw.attempt": number,
        "gw.source": source,
    }
