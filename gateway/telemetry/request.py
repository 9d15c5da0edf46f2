"""`RequestTelemetry`: the per-request handle the executor calls once per event.

Each method feeds the three sinks from one call site: it updates the request's log record, records
the metric samples and opens or ends the span. One handle per request; not shared between tasks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from gateway.telemetry.attributes import (
    attempt_attributes,
    request_attributes,
    usage_attributes,
    usage_fields,
)
from gateway.telemetry.tracing import AttributeValue, SpanHandle, StageScope
from gateway.usage import Usage

if TYPE_CHECKING:
    from gateway.telemetry.facade import Telemetry

__all__ = ["RequestTelemetry"]

_GAP_BATCH = 64
"""Inter-chunk gaps held per stream before they are observed (bounds the memory of long streams)."""


class RequestTelemetry:
    """Accumulates one request's log record and drives its spans and metric samples."""

    __slots__ = (
        "_attempt_span",
        "_attempt_t0",
        "_gaps",
        "_last_chunk",
        "_owner",
        "_span",
        "_t0",
        "attempts",
        "budget",
        "cache_status",
        "chunks",
        "config_hash",
        "cost_usd",
        "error",
        "finished_at",
        "guardrails",
        "incoming_traceparent",
        "key_id",
        "latency_ms",
        "max_gap_s",
        "model",
        "operation",
        "provider",
        "route",
        "source",
        "status",
        "stream",
        "target_path",
        "tokens",
        "trace_id",
        "ttft_s",
        "wall_start",
    )

    def __init__(self, owner: Telemetry, *, trace_id: str, route: str, config_hash: str, source: str,
                 model: str | None, stream: bool, key_id: str | None, operation: str,
                 headers: Mapping[str, str] | None) -> None:  # fmt: skip
        self._owner = owner
        self._t0 = time.perf_counter()
        self.wall_start = time.time()
        self.trace_id, self.route, self.config_hash, self.source = trace_id, route, config_hash, source
        self.model, self.stream, self.key_id, self.operation = model, stream, key_id, operation
        self.provider: str | None = None
        self.target_path = ""
        self.attempts: list[dict[str, Any]] = []  # Any: JSON log values (also AllTargetsFailed's trail)
        self.guardrails: list[dict[str, str]] = []
        self.cache_status = "DISABLED"
        self.budget: dict[str, Any] | None = None  # Any: JSON log values
        self.ttft_s: float | None = None
        self.chunks = 0
        self.max_gap_s = 0.0
        self._last_chunk = 0.0
        self._gaps: list[float] = []
        self._attempt_t0 = 0.0
        self._attempt_span: SpanHandle | None = None
        self.incoming_traceparent = headers.get("traceparent") if headers is not None else None
        self._span: SpanHandle | None = None
        self.status, self.latency_ms, self.finished_at, self.tokens = 0, 0.0, 0.0, 0
        self.cost_usd: float | None = None
        self.error: str | None = None
        if owner.tracing.enabled:
            attrs = request_attributes(route=route, config_hash=config_hash, source=source, trace_id=trace_id,
                                       stream=stream, operation=operation, model=model)  # fmt: skip
            self._span = owner.tracing.start_request(headers, attrs)

    @property
    def span_trace_id(self) -> str:
        """The OpenTelemetry trace id of this request ("" when tracing is off)."""
        return self._owner.tracing.trace_id(self._span)

    def elapsed_ms(self) -> float:
        """Milliseconds since the request started."""
        return (time.perf_counter() - self._t0) * 1000.0

    def stage(self, kind: str) -> StageScope:
        """Return a context manager timing stage `kind` (`input_guardrails`, `cache`, `limits`, …)."""
        return self._owner.tracing.stage(self._span, kind)

    def attempt_started(
        self,
        *,
        path: str,
        provider: str,
        provider_type: str,
        model: str | None,
        source: str = "",
        headers: MutableMapping[str, str] | None = None,
    ) -> None:
        """Note an upstream call about to start; writes `traceparent` into the upstream `headers`."""
        self.target_path, self.provider = path, provider
        if model:
            self.model = model
        self._attempt_t0 = time.perf_counter()
        if self._span is None:
            if headers is not None and self.incoming_traceparent:
                headers["traceparent"] = self.incoming_traceparent
            return
        tracing = self._owner.tracing
        if not self._span.recording:
            # Dropped by the sampler: no child spans; upstream still gets the (unsampled) context.
            if headers is not None:
                self._span.inject(headers)
            return
        attrs = attempt_attributes(
            path=path, provider=provider, provider_type=provider_type, model=model,
            operation=self.operation, number=len(self.attempts) + 1, source=source,
        )  # fmt: skip
        self._attempt_span = span = tracing.start_child(self._span, "gw.attempt", attrs, client=True)
        if headers is not None and span is not None:
            span.inject(headers)

    def attempt_finished(self, *, status: int, error: str | None = None, usage: Usage | None = None) -> None:
        """Record the outcome of the call started last: its status, error type and usage."""
        seconds = time.perf_counter() - self._attempt_t0
        entry: dict[str, Any] = {  # Any: JSON log values
            "path": self.target_path,
            "provider": self.provider,
            "status": status,
            "latency_ms": round(seconds * 1000.0, 3),
        }
        if error:
            entry["error"] = error
        self.attempts.append(entry)
        owner = self._owner
        if owner.metrics is not None:
            owner.metrics.attempt(self.provider or "", self.model, status, seconds)
        if self._attempt_span is not None:
            attrs: dict[str, AttributeValue] = {"http.response.status_code": status}
            if usage is not None:
                attrs.update(usage_attributes(usage))
            self._attempt_span.end(attrs, error)
            self._attempt_span = None

    def stream_chunk(self) -> None:
        """Note one streamed chunk sent to the client (time to first token, then inter-chunk gaps).

        Gaps are kept here and observed `_GAP_BATCH` at a time (and at the end of the request): one
        label lookup per batch instead of per chunk, and a chunk's path is a clock read and an append.
        """
        now = time.perf_counter()
        if self.chunks == 0:
            self.ttft_s = now - self._t0
            if self._owner.metrics is not None:
                self._owner.metrics.first_token(self.route, self.provider, self.model, self.ttft_s)
        else:
            gap = now - self._last_chunk
            if gap > self.max_gap_s:
                self.max_gap_s = gap
            gaps = self._gaps
            gaps.append(gap)
            if len(gaps) >= _GAP_BATCH:
                self._observe_gaps()
        self.chunks += 1
        self._last_chunk = now

    def _observe_gaps(self) -> None:
        if self._owner.metrics is not None:
            self._owner.metrics.chunk_gaps(self.provider, self.model, self._gaps)
        self._gaps = []

    def cache_checked(self, mode: str, status: str) -> None:
        """Record a cache lookup's mode (`simple`/`semantic`) and status (`HIT`, `MISS`, …)."""
        self.cache_status = status
        if self._owner.metrics is not None:
            self._owner.metrics.cache_lookup(self.route, mode, status)

    def guardrail_checked(self, guardrail_id: str, phase: str, verdict: str) -> None:
        """Record one guardrail's verdict (`pass`, `flag`, `deny`, `redact`) in `input` or `output`."""
        self.guardrails.append({"id": guardrail_id, "phase": phase, "verdict": verdict})
        if self._owner.metrics is not None:
            self._owner.metrics.guardrail(guardrail_id, phase, verdict)
        if self._span is not None and self._span.recording:
            self._span.add_event(
                "gw.guardrail", {"gw.guardrail": guardrail_id, "gw.phase": phase, "gw.verdict": verdict}
            )

    def budget_checked(self, decision: str, remaining_usd: float | None = None) -> None:
        """Record the budget decision (`allow`, `deny`, `alert`) and the smallest remaining amount."""
        self.budget = {"decision": decision, "remaining_usd": remaining_usd}

    def limited(self, limit: str) -> None:
        """Record a refusal by a rate limit or budget (`requests`, `tokens`, `budget`)."""
        if self._owner.metrics is not None:
            self._owner.metrics.rejection(self.route, limit)

    def request_finished(
        self,
        *,
        status: int,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
        prompt: object = None,
        completion: object = None,
        target_path: str | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> None:
        """Close the request (exactly once): one log line, request metrics, the `gw.request` span.

        `prompt` and `completion` (any JSON-shaped value) are logged only when the bound policy sets
        `log_prompts`, and then through the PII redactor. `target_path`, `provider` and `model` name
        the answering target when no attempt did (a cache hit); by default the last attempt's.
        """
        seconds = time.perf_counter() - self._t0
        self.target_path = target_path or self.target_path
        self.provider = provider or self.provider
        self.model = model or self.model
        owner = self._owner
        owner.request_done()
        if self._gaps:
            self._observe_gaps()
        if owner.metrics is not None:
            owner.metrics.request(self.route, self.provider, self.model, status, seconds)
            if usage is not None:
                owner.metrics.usage(self.route, self.provider, self.model, usage_fields(usage), cost_usd)
        if owner.log.enabled:
            fields = self._log_fields(status, seconds, usage, cost_usd, error)
            if owner.log_prompts:
                fields["prompt"] = owner.redact_prompt(prompt)
                fields["completion"] = owner.redact_prompt(completion)
            owner.log.emit("request", fields, level=logging.ERROR if status >= 500 else logging.INFO)
        if self._span is not None:
            self._end_span(self._span, status, usage, cost_usd, error)
        if owner.console is not None:
            # Only references are kept: the console formats them when someone looks.
            self.status, self.latency_ms, self.cost_usd, self.error = (
                status,
                seconds * 1000.0,
                cost_usd,
                error,
            )
            self.finished_at = self.wall_start + seconds
            self.tokens = usage.total_tokens if usage is not None else 0
            owner.console.record(self)

    def _end_span(
        self, span: SpanHandle, status: int, usage: Usage | None, cost_usd: float | None, error: str | None
    ) -> None:
        if not span.recording:  # dropped by the sampler: nothing to record or export
            return
        attrs: dict[str, AttributeValue] = {
            "http.response.status_code": status,
            "gw.target_path": self.target_path,
            "gw.cache_status": self.cache_status,
            "gw.attempts": len(self.attempts),
        }
        if usage is not None:
            attrs.update(usage_attributes(usage))
        if cost_usd is not None:
            attrs["gw.cost_usd"] = cost_usd
        if self.model:
            attrs["gen_ai.response.model"] = self.model
        span.end(attrs, error or (str(status) if status >= 500 else None))

    def _log_fields(
        self, status: int, seconds: float, usage: Usage | None, cost: float | None, error: str | None
    ) -> dict[str, Any]:  # Any: JSON log values
        fields: dict[str, Any] = {  # Any: JSON log values
            "trace_id": self.trace_id,
            "route": self.route,
            "config_hash": self.config_hash,
            "source": self.source,
            "key_id": self.key_id,
            "model": self.model,
            "provider": self.provider,
            "target_path": self.target_path,
            "stream": self.stream,
            "attempts": self.attempts,
            "cache_status": self.cache_status,
            "guardrails": self.guardrails,
            "budget": self.budget,
            "tokens": dict(usage_fields(usage)) if usage is not None else None,
            "cost_usd": cost,
            "status": status,
            "error": error,
            "latency_ms": round(seconds * 1000.0, 3),
        }
        if self.stream:
            ttft = None if self.ttft_s is None else round(self.ttft_s * 1000.0, 3)
            fields["ttft_ms"], fields["chunks"] = ttft, self.chunks
            fields["max_gap_ms"] = round(self.max_gap_s * 1000.0, 3)
        if self._span is not None:
            fields["otel_trace_id"] = self.span_trace_id
        return fields
