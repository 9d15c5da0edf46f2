"""One call site per event feeds logs, metrics and spans: a fallback with two attempts, a stream."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families

from gateway.telemetry import Telemetry
from gateway.usage import Usage
from tests.gateway.telemetry.conftest import LogCapture

INCOMING_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{INCOMING_TRACE}-b7ad6b7169203331-01"


def samples(tel: Telemetry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every exposed sample keyed by name and labels."""
    body, _ = tel.render_metrics()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def sample(tel: Telemetry, name: str, **labels: str) -> float:
    """One sample's value (0.0 when absent)."""
    return samples(tel).get((name, frozenset(labels.items())), 0.0)


def run_fallback(tel: Telemetry, upstream_headers: list[dict[str, str]]) -> None:
    """Drive the facade the way the executor does for openai_prod 503 → anthropic 200."""
    rt = tel.request_started(
        trace_id="gw-trace-1",
        route="chat",
        source="routes/chat.yaml:9:3",
        model="gpt-4o-mini",
        key_id="key_team_a",
        headers={"traceparent": TRACEPARENT},
    )
    with rt.stage("input_guardrails"):
        rt.guardrail_checked("no_pii", "input", "pass")
    with rt.stage("cache"):
        rt.cache_checked("simple", "MISS")
    for provider, ptype, model, status in (
        ("openai_prod", "openai", "gpt-4o-mini", 503),
        ("anthropic", "anthropic", "claude-haiku", 200),
    ):
        headers: dict[str, str] = {}
        path = "config.targets[0]" if provider == "openai_prod" else "config.targets[1]"
        rt.attempt_started(path=path, provider=provider, provider_type=ptype, model=model, headers=headers)
        upstream_headers.append(headers)
        error = "api_error" if status >= 500 else None
        usage = Usage(prompt_tokens=12, completion_tokens=30) if status == 200 else None
        rt.attempt_finished(status=status, error=error, usage=usage)
    rt.budget_checked("allow", remaining_usd=97.5)
    rt.request_finished(status=200, usage=Usage(prompt_tokens=12, completion_tokens=30), cost_usd=0.0021)


def by_name(exported: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    """Spans with that name, in end order."""
    return [s for s in exported if s.name == name]


def test_fallback_writes_one_request_line_with_both_attempts(telemetry: Telemetry, logs: LogCapture) -> None:
    run_fallback(telemetry, [])
    (line,) = logs.events("request")
    assert line["trace_id"] == "gw-trace-1"
    assert line["route"] == "chat"
    assert line["config_hash"] == "sha256:" + "ab" * 16
    assert line["source"] == "routes/chat.yaml:9:3"
    assert line["target_path"] == "config.targets[1]"
    assert line["provider"] == "anthropic"
    assert [(a["path"], a["provider"], a["status"]) for a in line["attempts"]] == [
        ("config.targets[0]", "openai_prod", 503),
        ("config.targets[1]", "anthropic", 200),
    ]
    assert line["attempts"][0]["error"] == "api_error"
    assert all(a["latency_ms"] >= 0 for a in line["attempts"])
    assert line["cache_status"] == "MISS"
    assert line["guardrails"] == [{"id": "no_pii", "phase": "input", "verdict": "pass"}]
    assert line["tokens"]["input"] == 12 and line["tokens"]["output"] == 30
    assert line["cost_usd"] == 0.0021
    assert line["budget"] == {"decision": "allow", "remaining_usd": 97.5}
    assert line["status"] == 200 and line["level"] == "info"
    assert line["otel_trace_id"] == INCOMING_TRACE
    assert "prompt" not in line


def test_fallback_records_request_attempt_and_usage_samples(telemetry: Telemetry) -> None:
    run_fallback(telemetry, [])
    req = {"route": "chat", "provider": "anthropic", "model": "claude-haiku"}
    assert sample(telemetry, "gw_requests_total", **req, status="200") == 1.0
    assert sample(telemetry, "gw_request_duration_seconds_count", **req, status="200") == 1.0
    assert (
        sample(
            telemetry, "gw_upstream_attempts_total", provider="openai_prod", model="gpt-4o-mini", status="503"
        )
        == 1
    )
    assert (
        sample(
            telemetry, "gw_upstream_attempts_total", provider="anthropic", model="claude-haiku", status="200"
        )
        == 1
    )
    assert sample(telemetry, "gw_tokens_total", **req, kind="output") == 30.0
    assert sample(telemetry, "gw_cost_usd_total", **req) == 0.0021
    assert sample(telemetry, "gw_cache_lookups_total", route="chat", mode="simple", result="miss") == 1.0
    assert (
        sample(telemetry, "gw_guardrail_verdicts_total", guardrail="no_pii", phase="input", verdict="pass")
        == 1
    )
    assert sample(telemetry, "gw_requests_in_flight") == 0.0


def test_fallback_exports_request_stage_and_attempt_spans(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    upstream: list[dict[str, str]] = []
    run_fallback(telemetry, upstream)
    exported = spans.get_finished_spans()
    (request,) = by_name(exported, "gw.request")
    attempts = by_name(exported, "gw.attempt")
    assert {s.name for s in exported} == {
        "gw.request",
        "gw.stage.input_guardrails",
        "gw.stage.cache",
        "gw.attempt",
    }
    assert request.kind is SpanKind.SERVER
    assert format(request.context.trace_id, "032x") == INCOMING_TRACE
    assert request.parent is not None and format(request.parent.span_id, "016x") == "b7ad6b7169203331"
    assert request.attributes is not None
    assert request.attributes["gw.route"] == "chat"
    assert request.attributes["gw.config_hash"] == "sha256:" + "ab" * 16
    assert request.attributes["gw.source"] == "routes/chat.yaml:9:3"
    assert request.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert request.attributes["gen_ai.usage.input_tokens"] == 12
    assert request.attributes["gen_ai.usage.output_tokens"] == 30
    assert [a.attributes["gen_ai.system"] for a in attempts if a.attributes] == ["openai", "anthropic"]
    assert all(a.kind is SpanKind.CLIENT and a.parent == request.context for a in attempts)
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert attempts[1].attributes is not None and attempts[1].attributes["gen_ai.usage.output_tokens"] == 30
    for headers, attempt in zip(upstream, attempts, strict=True):
        assert headers["traceparent"] == f"00-{INCOMING_TRACE}-{attempt.context.span_id:016x}-01"


def test_stream_records_time_to_first_token_and_chunk_gaps(
    telemetry: Telemetry, logs: LogCapture, spans: InMemorySpanExporter
) -> None:
    rt = telemetry.request_started(trace_id="gw-trace-2", route="chat", model="gpt-4o-mini", stream=True)
    rt.attempt_started(
        path="config.targets[0]", provider="openai_prod", provider_type="openai", model="gpt-4o-mini"
    )
    rt.attempt_finished(status=200)
    for _ in range(4):
        rt.stream_chunk()
    rt.request_finished(status=200, usage=Usage(prompt_tokens=5, completion_tokens=4), cost_usd=None)

    (line,) = logs.events("request")
    assert line["stream"] is True and line["chunks"] == 4
    assert line["ttft_ms"] is not None and line["ttft_ms"] <= line["latency_ms"]
    assert line["max_gap_ms"] >= 0 and line["cost_usd"] is None
    labels = {"route": "chat", "provider": "openai_prod", "model": "gpt-4o-mini"}
    assert sample(telemetry, "gw_stream_time_to_first_token_seconds_count", **labels) == 1.0
    gaps = {"provider": "openai_prod", "model": "gpt-4o-mini"}
    assert sample(telemetry, "gw_stream_inter_chunk_seconds_count", **gaps) == 3.0
    assert sample(telemetry, "gw_cost_usd_total", **labels) == 0.0
    (request,) = by_name(spans.get_finished_spans(), "gw.request")
    assert request.attributes is not None and request.attributes["gw.stream"] is True
    assert request.parent is None


def test_long_stream_observes_every_gap_and_its_largest(telemetry: Telemetry, logs: LogCapture) -> None:
    rt = telemetry.request_started(trace_id="gw-trace-3", route="chat", model="gpt-4o-mini", stream=True)
    rt.attempt_started(
        path="config.targets[0]", provider="openai_prod", provider_type="openai", model="gpt-4o-mini"
    )
    rt.attempt_finished(status=200)
    for _ in range(150):  # more gaps than are held before being observed
        rt.stream_chunk()
    gaps = {"provider": "openai_prod", "model": "gpt-4o-mini"}
    assert sample(telemetry, "gw_stream_inter_chunk_seconds_count", **gaps) >= 64.0  # observed on the way
    rt.request_finished(status=200)
    (line,) = logs.events("request")
    assert line["chunks"] == 150
    assert sample(telemetry, "gw_stream_inter_chunk_seconds_count", **gaps) == 149.0
    total = sample(telemetry, "gw_stream_inter_chunk_seconds_sum", **gaps)
    assert line["max_gap_ms"] / 1000.0 <= total + 1e-9


def test_broken_stream_ends_request_span_with_error(
    telemetry: Telemetry, spans: InMemorySpanExporter
) -> None:
    rt = telemetry.request_started(trace_id="t", route="chat", stream=True)
    rt.stream_chunk()
    rt.request_finished(status=200, error="stream_error")
    (request,) = by_name(spans.get_finished_spans(), "gw.request")
    assert request.status.status_code is StatusCode.ERROR
    assert request.attributes is not None and request.attributes["error.type"] == "stream_error"


def test_stage_span_records_an_exception_as_error(telemetry: Telemetry, spans: InMemorySpanExporter) -> None:
    rt = telemetry.request_started(trace_id="t", route="chat")
    try:
        with rt.stage("limits"):
            raise RuntimeError("valkey unreachable")
    except RuntimeError:
        pass
    rt.limited("budget")
    rt.request_finished(status=429, error="budget_exceeded")
    (stage,) = by_name(spans.get_finished_spans(), "gw.stage.limits")
    assert stage.status.status_code is StatusCode.ERROR
    assert sample(telemetry, "gw_rate_limit_rejections_total", route="chat", limit="budget") == 1.0


def test_tracing_off_forwards_incoming_traceparent_and_makes_no_spans(logs: LogCapture) -> None:
    from gateway.telemetry import EventLog, Metrics

    tel = Telemetry(metrics=Metrics(), log=EventLog(logs.logger))
    rt = tel.request_started(trace_id="t", route="chat", headers={"traceparent": TRACEPARENT})
    assert rt.stage("cache") is rt.stage("limits")
    headers: dict[str, str] = {}
    rt.attempt_started(path="p", provider="openai_prod", provider_type="openai", model=None, headers=headers)
    rt.attempt_finished(status=200)
    rt.request_finished(status=200)
    assert headers == {"traceparent": TRACEPARENT}
    assert rt.span_trace_id == ""
    assert "otel_trace_id" not in logs.events("request")[0]


def test_upstream_error_status_logs_at_error_level(telemetry: Telemetry, logs: LogCapture) -> None:
    rt = telemetry.request_started(trace_id="t", route="chat")
    rt.attempt_started(path="config.targets[0]", provider="openai_prod", provider_type="openai", model=None)
    rt.attempt_finished(status=502, error="api_error")
    rt.request_finished(status=502, error="api_error")
    (line,) = logs.events("request")
    assert line["level"] == "error" and line["error"] == "api_error"


def test_cache_hit_names_the_answering_target_without_an_attempt(
    telemetry: Telemetry, logs: LogCapture
) -> None:
    rt = telemetry.request_started(trace_id="t", route="chat", model="gpt-4o-mini")
    rt.cache_checked("semantic", "SEMANTIC HIT")
    rt.request_finished(status=200, target_path="config.targets[0]", provider="openai_prod", usage=Usage())
    (line,) = logs.events("request")
    assert (line["attempts"], line["cache_status"]) == ([], "SEMANTIC HIT")
    assert (line["target_path"], line["provider"]) == ("config.targets[0]", "openai_prod")
    assert sample(telemetry, "gw_cache_lookups_total", route="chat", mode="semantic", result="hit") == 1.0
    labels = {"route": "chat", "provider": "openai_prod", "model": "gpt-4o-mini", "status": "200"}
    assert sample(telemetry, "gw_requests_total", **labels) == 1.0


def test_component_state_feeds_gauges_and_log(telemetry: Telemetry, logs: LogCapture) -> None:
    telemetry.circuit_changed("chat", "config.targets[0]", "open")
    telemetry.budget_remaining("team_a", 12.5)
    telemetry.dependency_changed("valkey", up=False, detail="connection refused")
    telemetry.config_reloaded(
        old_hash="sha256:a", new_hash="sha256:b", ok=False, diagnostics=["x.yaml:1:1: error"]
    )
    assert sample(telemetry, "gw_circuit_breaker_state", route="chat", target="config.targets[0]") == 2.0
    assert sample(telemetry, "gw_budget_remaining_usd", budget="team_a") == 12.5
    assert sample(telemetry, "gw_dependency_up", dependency="valkey") == 0.0
    assert sample(telemetry, "gw_config_reloads_total", result="failure") == 1.0
    assert sample(telemetry, "gw_config_info", hash="sha256:" + "ab" * 16) == 1.0
    circuit, dependency, reload = logs.events()
    assert circuit["state"] == "open" and dependency["up"] is False
    assert reload["level"] == "error" and reload["diagnostics"] == ["x.yaml:1:1: error"]


def test_configure_logging_installs_one_json_handler_on_the_root() -> None:
    import io
    import logging

    from gateway.telemetry import configure_logging

    root = logging.getLogger()
    level, stream = root.level, io.StringIO()
    try:
        configure_logging(stream=io.StringIO())
        handler = configure_logging(stream=stream)
        assert [h.get_name() for h in root.handlers].count("gw-json") == 1
        # A third-party logger nobody configured (uvicorn's own levels change once a test server ran).
        logging.getLogger("thirdparty.client").info("listening with key sk-abcdefghijklmnop123456")
        assert '"logger":"thirdparty.client"' in stream.getvalue() and "sk-abc" not in stream.getvalue()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_breaker_states_are_read_at_scrape_time(telemetry: Telemetry) -> None:
    board = {"config.targets[0]": "open", "config.targets[1]": "closed"}
    telemetry.watch_circuits(lambda: [("chat", path, state) for path, state in board.items()])
    assert sample(telemetry, "gw_circuit_breaker_state", route="chat", target="config.targets[0]") == 2.0
    board["config.targets[0]"] = "half_open"
    del board["config.targets[1]"]
    assert sample(telemetry, "gw_circuit_breaker_state", route="chat", target="config.targets[0]") == 1.0
    assert sample(telemetry, "gw_circuit_breaker_state", route="chat", target="config.targets[1]") == 0.0
    assert (
        "gw_circuit_breaker_state",
        frozenset({("route", "chat"), ("target", "config.targets[1]")}),
    ) not in (samples(telemetry))
