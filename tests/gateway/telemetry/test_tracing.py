"""Tracing is off unless the standard OTEL_* variables ask for it; off means no spans at all."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased

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
    tracing.end(span)
    (exported,) = exporter.get_finished_spans()
    assert exported.parent is None
    tracing.shutdown()


def test_injected_traceparent_names_the_attempt_span() -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(exporter, batch=False)
    request = tracing.start_request(None, {})
    attempt = tracing.start_child(request, "gw.attempt", {}, client=True)
    headers: dict[str, str] = {}
    tracing.inject(attempt, headers)
    assert attempt is not None
    ctx = attempt.get_span_context()
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
    tracing.end(tracing.start_request(None, {}))
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
