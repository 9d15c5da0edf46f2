"""gw's spans, recorded without the SDK's `Span` machinery and handed to its span processor at the end.

A request has two to five spans, all started and ended by one task. The SDK's tracer gives each a
lock, re-validates every attribute value on the way in (~0.5 µs each: gw's values are its own `str`,
`int`, `float` and `bool`) and copies it into a `ReadableSpan` at the end. `SpanRecorder` keeps one
plain dict per span and builds that `ReadableSpan` once, when the span ends, for the same span
processor and exporter the tracer provider would use. What stays the SDK's: the sampler (from
`OTEL_TRACES_SAMPLER`), the id generator, the resource, the processor (batching, `OTEL_BSP_*`) and
the exporter. A child span follows the decision of its `gw.request` (what every built-in sampler
decides for it); a span the sampler dropped records nothing and is never handed to the processor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

__all__ = ["AttributeValue", "SpanHandle", "SpanRecorder"]

AttributeValue = str | bool | int | float
"""A span attribute value."""

_UNSET = Status(StatusCode.UNSET)


class SpanHandle:
    """One span being recorded (or, when `recording` is false, only a context to propagate)."""

    __slots__ = (
        "_recorder", "attributes", "context", "events", "kind", "name", "parent", "recording", "start",
    )  # fmt: skip

    def __init__(
        self,
        recorder: SpanRecorder,
        name: str,
        context: SpanContext,
        *,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, AttributeValue] | None,
    ) -> None:
        self._recorder = recorder
        self.name, self.context, self.parent, self.kind = name, context, parent, kind
        self.recording = attributes is not None
        self.attributes: dict[str, AttributeValue] = attributes if attributes is not None else {}
        self.events: list[Event] = []
        self.start = time.time_ns()

    def add_event(self, name: str, attributes: Mapping[str, AttributeValue]) -> None:
        """Add a timestamped event (nothing when not recording)."""
        if self.recording:
            self.events.append(Event(name, attributes, time.time_ns()))

    def end(self, attributes: Mapping[str, AttributeValue] | None = None, error: str | None = None) -> None:
        """Add the final attributes and an error status (when `error` names one); hand the span over."""
        if not self.recording:
            return
        self.recording = False  # ends once
        attrs = self.attributes
        if attributes:
            attrs.update(attributes)
        status = _UNSET
        if error:
            attrs["error.type"] = error
            status = Status(StatusCode.ERROR, error)
        self._recorder.finish(self, status)

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Write this span's W3C trace context into outgoing headers (`tracestate` when it has one)."""
        ctx = self.context
        headers["traceparent"] = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
        if ctx.trace_state:
            headers["tracestate"] = ctx.trace_state.to_header()


class SpanRecorder:
    """Starts `SpanHandle`s with the provider's sampler and ids, and ends them into `processor`."""

    def __init__(self, provider: TracerProvider, processor: SpanProcessor, scope: str = "gw") -> None:
        self._provider = provider
        self._processor = processor
        self._scope = InstrumentationScope(scope)

    def start_root(
        self,
        name: str,
        remote: Context | None,
        kind: SpanKind,
        attributes: Mapping[str, AttributeValue],
    ) -> SpanHandle:
        """Start a span under the caller's span in `remote` (a new trace without one), as sampled."""
        provider = self._provider
        ids = provider.id_generator
        parent: SpanContext | None = None
        if remote is not None:
            parent = trace.get_current_span(remote).get_span_context()
        if parent is not None and parent.is_valid:
            trace_id, random = parent.trace_id, parent.trace_flags.random_trace_id
        else:
            parent, remote = None, None
            trace_id, random = ids.generate_trace_id(), ids.is_trace_id_random()
        result = provider.sampler.should_sample(remote, trace_id, name, kind, attributes)
        decision = result.decision
        flags = TraceFlags.SAMPLED if decision is Decision.RECORD_AND_SAMPLE else TraceFlags.DEFAULT
        if random:
            flags |= TraceFlags.RANDOM_TRACE_ID
        context = SpanContext(trace_id, ids.generate_span_id(), False, TraceFlags(flags), result.trace_state)
        attrs = None if decision is Decision.DROP else dict(result.attributes)
        return SpanHandle(self, name, context, parent=parent, kind=kind, attributes=attrs)

    def start_child(
        self, parent: SpanHandle, name: str, kind: SpanKind, attributes: Mapping[str, AttributeValue]
    ) -> SpanHandle:
        """Start a span under a recorded `parent`, in the same trace and with the same decision."""
        up = parent.context
        span_id = self._provider.id_generator.generate_span_id()
        context = SpanContext(up.trace_id, span_id, False, up.trace_flags, up.trace_state)
        return SpanHandle(self, name, context, parent=up, kind=kind, attributes=dict(attributes))

    def finish(self, span: SpanHandle, status: Status) -> None:
        """Hand an ended span to the processor as the `ReadableSpan` the SDK's tracer would build."""
        self._processor.on_end(
            ReadableSpan(
                name=span.name,
                context=span.context,
                parent=span.parent,
                resource=self._provider.resource,
                attributes=span.attributes,
                events=tuple(span.events),
                kind=span.kind,
                status=status,
                start_time=span.start,
                end_time=time.time_ns(),
                instrumentation_scope=self._scope,
            )
        )
