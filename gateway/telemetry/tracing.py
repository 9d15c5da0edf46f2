"""OpenTelemetry tracing: `gw.request` → `gw.stage.<kind>` / `gw.attempt` spans, W3C trace context.

Off by default. `Tracing.from_env()` turns it on only when the standard variables ask for it
(`OTEL_TRACES_EXPORTER=otlp|console`, or an `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`), and
`OTEL_SDK_DISABLED=true` always wins. The OTLP/HTTP exporter, the batch processor, the sampler and the
resource read their own `OTEL_*` variables. The provider is owned by this object and never installed
as the process-global one, so tests and several gateways in one process do not interfere. Spans are
recorded by `gateway.telemetry.spans` (plain dicts, one `ReadableSpan` per span at its end) and
handed to the provider's processor and exporter.

When off, every method returns `None` or does nothing, and the request path allocates nothing for
tracing (see `bench/telemetry.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.telemetry.spans import AttributeValue, SpanHandle, SpanRecorder

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "AttributeValue",
    "SpanHandle",
    "StageScope",
    "Tracing",
    "gen_ai_system",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_GEN_AI_SYSTEMS = {
    "openai": "openai",
    "openai-compatible": "openai",
    "vllm": "openai",
    "lmstudio": "openai",
    "azure-openai": "az.ai.openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
    "mistral": "mistral_ai",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "perplexity": "perplexity",
}


def gen_ai_system(adapter_type: str) -> str:
    """Map a gw adapter type to the `gen_ai.system` value of the semantic conventions."""
    return _GEN_AI_SYSTEMS.get(adapter_type, adapter_type)


class StageScope:
    """Context manager around one pipeline stage: ends its `gw.stage.<kind>` span, if any."""

    __slots__ = ("_span",)

    def __init__(self, span: SpanHandle | None) -> None:
        self._span = span

    def __enter__(self) -> StageScope:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._span is not None:
            self._span.end(error=exc_type.__name__ if exc_type is not None else None)


_NO_STAGE = StageScope(None)
"""Shared, stateless scope returned when tracing is off (nothing allocated per stage)."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


class Tracing:
    """Creates gw's spans through a tracer provider owned by this object (or does nothing when off)."""

    def __init__(
        self,
        exporter: SpanExporter | None = None,
        *,
        batch: bool = True,
        service: str = "gw",
        sampler: Sampler | None = None,
    ) -> None:
        """Trace to `exporter` (batched, or synchronously with `batch=False`); no exporter means off.

        `sampler` defaults to the SDK's choice from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`
        (parent-based always-on when unset).
        """
        self._propagator = TraceContextTextMapPropagator()
        self._provider: TracerProvider | None = None
        self._recorder: SpanRecorder | None = None
        if exporter is None:
            return
        # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win; `service` only replaces the SDK's placeholder.
        resource = Resource.create()
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": service}))
        self._provider = TracerProvider(resource=resource, sampler=sampler)
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        self._provider.add_span_processor(processor)  # the provider flushes and shuts it down
        self._recorder = SpanRecorder(self._provider, processor)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Tracing:
        """Build from the standard `OTEL_*` variables: off unless an exporter is asked for."""
        if _truthy(environ.get("OTEL_SDK_DISABLED")):
            return cls()
        wanted = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        if wanted == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            return cls(ConsoleSpanExporter())
        if wanted == "otlp" or (endpoint and wanted in ("", "otlp")):
            # Imported only when wanted: the exporter pulls in protobuf.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return cls(OTLPSpanExporter())
        return cls()

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded."""
        return self._recorder is not None

    def start_request(
        self, headers: Mapping[str, str] | None, attributes: Mapping[str, AttributeValue]
    ) -> SpanHandle | None:
        """Start `gw.request` as a child of the caller's `traceparent`, if any."""
        if self._recorder is None:
            return None
        remote = None
        if headers is not None and headers.get(TRACEPARENT):
            carrier = {TRACEPARENT: headers[TRACEPARENT], TRACESTATE: headers.get(TRACESTATE, "")}
            remote = self._propagator.extract(carrier)
        return self._recorder.start_root("gw.request", remote, SpanKind.SERVER, attributes)

    def start_child(
        self,
        parent: SpanHandle | None,
        name: str,
        attributes: Mapping[str, AttributeValue],
        *,
        client: bool = False,
    ) -> SpanHandle | None:
        """Start a child span of a recorded `parent` (`gw.stage.<kind>` or `gw.attempt`)."""
        if self._recorder is None or parent is None or not parent.recording:
            return None
        kind = SpanKind.CLIENT if client else SpanKind.INTERNAL
        return self._recorder.start_child(parent, name, kind, attributes)

    def stage(self, parent: SpanHandle | None, kind: str) -> StageScope:
        """Return a scope for stage `kind` under `parent`: a `gw.stage.<kind>` span, or a shared no-op.

        No stage span under a parent the sampler dropped: it would never be exported.
        """
        if self._recorder is None or parent is None or not parent.recording:
            return _NO_STAGE
        return StageScope(self._recorder.start_child(parent, f"gw.stage.{kind}", SpanKind.INTERNAL,
                                                     {"gw.stage": kind}))  # fmt: skip

    @staticmethod
    def trace_id(span: SpanHandle | None) -> str:
        """Return the span's trace id as 32 hex digits ("" without a span)."""
        if span is None:
            return ""
        return format(span.context.trace_id, "032x")

    def force_flush(self) -> None:
        """Export every finished span now."""
        if self._provider is not None:
            self._provider.force_flush()

    def shutdown(self) -> None:
        """Flush and stop the exporter."""
        if self._provider is not None:
            self._provider.shutdown()

    def __repr__(self) -> str:
        return f"Tracing({'on' if self.enabled else 'off'})"
