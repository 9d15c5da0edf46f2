"""Tracing is off unless the standard OTEL_* variables ask for it; off means no spans at all."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.telemetry import EventLog, Telemetry, Tracing
from gateway.telemetry.tracing import gen_ai_system


def test_tracing_is_off_without_otel_variables() -> None:
    tracing = Tracing.from_env({})
    assert not tracing.enabled
    assert tracing.start_request({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}, {}) is None


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"},
        {"OTEL_TRACES_EXPORTER": "otlp"},
    ],
)
def test_otlp_endpoint_or_exporter_variable_turns_tracing_on(environ: dict[str, str]) -> None:
    tracing = Tracing.from_env(environ)
    try:
        assert tracing.enabled
    finally:
        tracing.shutdown()


@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
        {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
    ],
)
def test_sdk_disabled_or_exporter_none_wins(environ: dict[str, str]) -> None:
    assert not Tracing.from_env(environ).enabled


def test_malformed_traceparent_starts_a_new_trace() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    span = tracing.start_request({"traceparent": "garbage"}, {"gw.route": "chat"})
    assert span is not None
    span.end()
    (exported,) = exporter.get_finished_spans()
    assert exported.parent is None
    tracing.shutdown()


def test_injected_traceparent_names_the_attempt_span() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    request = tracing.start_request(None, {})
    attempt = tracing.start_child(request, "gw.attempt", {}, client=True)
    headers: dict[str, str] = {}
    assert attempt is not None
    attempt.inject(headers)
    ctx = attempt.context
    assert headers["traceparent"].startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
    tracing.shutdown()


@pytest.mark.parametrize(
    ("adapter", "system"),
    [
        ("openai", "openai"),
        ("azure-openai", "az.ai.openai"),
        ("gemini", "gcp.gemini"),
        ("mistral", "mistral_ai"),
    ],
)
def test_adapter_types_map_to_gen_ai_system_values(adapter: str, system: str) -> None:
    assert gen_ai_system(adapter) == system


def test_service_name_defaults_to_gw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    request = tracing.start_request(None, {})
    assert request is not None
    request.end()
    (span,) = exporter.get_finished_spans()
    assert span.resource.attributes["service.name"] == "gw"
    tracing.shutdown()


@pytest.mark.parametrize("sampler", [ALWAYS_OFF, ParentBased(TraceIdRatioBased(0.0))])
def test_request_the_sampler_drops_exports_nothing_but_still_propagates_context(sampler: object) -> None:
    exporter = InMemorySpanExporter()
    tel = Telemetry(tracing=Tracing(exporter, batch=False, sampler=sampler), log=EventLog())  # type: ignore[arg-type]
    rt = tel.request_started(trace_id="t", route="chat")
    with rt.stage("cache"):
        rt.cache_checked("simple", "MISS")
    rt.guardrail_checked("g", "input", "pass")
    upstream: dict[str, str] = {}
    rt.attempt_started(path="config", provider="a", provider_type="openai", model="m", headers=upstream)
    rt.attempt_finished(status=200)
    rt.request_finished(status=200)
    assert exporter.get_finished_spans() == ()
    trace_id = rt.span_trace_id
    _, traced, _, flags = upstream["traceparent"].split("-")
    assert traced == trace_id and int(flags, 16) & 1 == 0  # the sampled flag is off
    tel.shutdown()


def test_upstream_trace_context_is_what_the_w3c_propagator_writes_tracestate_included() -> None:
    exporter = InMemorySpanExporter()
    tel = Telemetry(tracing=Tracing(exporter, batch=False), log=EventLog())
    incoming = {"traceparent": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01", "tracestate": "vendor=1,other=x"}
    rt = tel.request_started(trace_id="t", route="chat", headers=incoming)
    upstream: dict[str, str] = {}
    rt.attempt_started(path="config", provider="a", provider_type="openai", model="m", headers=upstream)
    rt.attempt_finished(status=200)
    rt.request_finished(status=200)
    request, attempt = sorted(exporter.get_finished_spans(), key=lambda s: s.name != "gw.request")
    expected: dict[str, str] = {}
    assert attempt.context is not None
    span = trace.NonRecordingSpan(attempt.context)
    TraceContextTextMapPropagator().inject(expected, context=trace.set_span_in_context(span))
    assert upstream == expected
    assert upstream["tracestate"] == "vendor=1,other=x"
    assert attempt.parent == request.get_span_context() and request.parent is not None
    assert request.parent.is_remote and format(request.parent.span_id, "016x") == "cd" * 8
    tel.shutdown()


def test_caller_that_did_not_sample_its_trace_gets_no_spans_by_default() -> None:
    exporter = InMemorySpanExporter()
    tel = Telemetry(tracing=Tracing(exporter, batch=False), log=EventLog())  # SDK default: parent-based
    incoming = {"traceparent": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-00"}
    rt = tel.request_started(trace_id="t", route="chat", headers=incoming)
    upstream: dict[str, str] = {}
    rt.attempt_started(path="config", provider="a", provider_type="openai", model="m", headers=upstream)
    rt.attempt_finished(status=200)
    rt.request_finished(status=200)
    assert exporter.get_finished_spans() == ()
    assert (
        upstream["traceparent"].startswith("00-" + "ab" * 16 + "-") and upstream["traceparent"][-2:] == "00"
    )
    tel.shutdown()


def test_a_span_ended_twice_is_exported_once() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    span = tracing.start_request(None, {"gw.route": "chat"})
    assert span is not None
    span.end({"http.response.status_code": 200})
    span.end({"http.response.status_code": 500}, "late")
    (exported,) = exporter.get_finished_spans()
    assert exported.attributes == {"gw.route": "chat", "http.response.status_code": 200}
    assert exported.end_time is not None and exported.start_time is not None
    assert exported.end_time >= exported.start_time
    tracing.shutdown()
