"""Each request through the real server, seen in all three sinks: the JSON log line, the metric
samples on `/metrics` and the exported spans (in-memory exporter); fallback, stream, cache, guardrail."""

from __future__ import annotations

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.telemetry.conftest import Observed

MESSAGES = [{"role": "user", "content": "hi"}]
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_fallback_with_two_attempts_in_log_metrics_and_spans(
    observed: Observed, upstreams: dict[str, FakeOpenAI]
) -> None:
    upstreams["a"].script(Reply(status=503))
    client = observed.server.client("chat", traceparent=TRACEPARENT)
    answer = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    trace_id = answer.headers["x-portkey-trace-id"]

    (line,) = observed.requests()
    assert line["trace_id"] == trace_id
    assert line["route"] == "chat"
    assert line["config_hash"] == observed.telemetry.config_hash
    assert line["status"] == 200
    assert line["target_path"] == "config.targets[1]"
    assert [(a["path"], a["provider"], a["status"]) for a in line["attempts"]] == [
        ("config.targets[0]", "a", 503),
        ("config.targets[1]", "b", 200),
    ]
    assert all(a["latency_ms"] >= 0 for a in line["attempts"])
    assert line["tokens"]["input"] > 0
    assert line["cost_usd"] > 0
    assert line["guardrails"] == [{"id": "polite", "phase": "input", "verdict": "pass"}]
    assert line["otel_trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["budget"]["decision"] == "allow"
    assert 0 < line["budget"]["remaining_usd"] <= 1000  # what is left after holding this request's maximum

    assert observed.metric("gw_requests_total", route="chat", provider="b", status="200") == 1
    assert observed.metric("gw_upstream_attempts_total", provider="a", status="503") == 1
    assert observed.metric("gw_upstream_attempts_total", provider="b", status="200") == 1
    assert observed.metric("gw_upstream_attempt_duration_seconds_count", provider="a") == 1
    assert observed.metric("gw_cost_usd_total", route="chat") == line["cost_usd"]
    assert observed.metric("gw_guardrail_verdicts_total", guardrail="polite", verdict="pass") == 1

    (root,) = observed.spans("gw.request")
    attempts = observed.spans("gw.attempt")
    assert root.kind == SpanKind.SERVER
    assert format(root.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert root.parent is not None and format(root.parent.span_id, "016x") == "b7ad6b7169203331"
    assert root.attributes is not None and root.attributes["gw.attempts"] == 2
    assert root.attributes["gw.route"] == "chat"
    assert [s.attributes["http.response.status_code"] for s in attempts if s.attributes] == [503, 200]
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in attempts)
    assert [s.kind for s in attempts] == [SpanKind.CLIENT, SpanKind.CLIENT]
    assert attempts[0].status.status_code == StatusCode.ERROR
    assert attempts[1].attributes is not None and attempts[1].attributes["gen_ai.system"] == "openai"
    assert attempts[1].attributes["gen_ai.usage.input_tokens"] > 0
    assert [e.name for e in root.events] == ["gw.guardrail"]

    # W3C trace context reaches each upstream: same trace, the attempt's own span as the parent.
    sent = [r.headers["traceparent"] for r in (*upstreams["a"].requests, *upstreams["b"].requests)]
    assert [h.split("-")[1] for h in sent] == ["0af7651916cd43dd8448eb211c80319c"] * 2
    assert [h.split("-")[2] for h in sent] == [format(s.context.span_id, "016x") for s in attempts]


def test_streamed_request_in_log_metrics_and_spans(
    observed: Observed, upstreams: dict[str, FakeOpenAI]
) -> None:
    del upstreams
    chunks = list(
        observed.server.client("solo").chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
    )
    (line,) = observed.requests()
    assert line["stream"] is True
    assert line["status"] == 200
    assert 1 <= line["chunks"] <= len(chunks)  # counted per write: events of one read go out together
    assert line["ttft_ms"] is not None and line["ttft_ms"] >= 0
    assert line["tokens"]["output"] > 0  # streamed usage reached the log

    assert observed.metric("gw_stream_time_to_first_token_seconds_count", route="solo") == 1
    assert observed.metric("gw_stream_inter_chunk_seconds_count", provider="c") == line["chunks"] - 1
    assert observed.metric("gw_requests_total", route="solo", status="200") == 1

    (root,) = observed.spans("gw.request")
    (attempt,) = observed.spans("gw.attempt")
    assert root.attributes is not None and root.attributes["gw.stream"] is True
    assert root.attributes["gen_ai.usage.output_tokens"] == line["tokens"]["output"]
    assert attempt.parent is not None and attempt.parent.span_id == root.context.span_id


def test_cache_hit_and_flagged_guardrail_are_logged_counted_and_traced(
    observed: Observed, upstreams: dict[str, FakeOpenAI]
) -> None:
    solo = observed.server.client("solo")
    for _ in range(2):
        solo.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    observed.server.client("chat").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "you idiot"}]
    )
    miss, hit, flagged = observed.requests()
    assert (miss["cache_status"], hit["cache_status"]) == ("MISS", "HIT")
    assert hit["attempts"] == []
    assert len(upstreams["c"].requests) == 1
    assert flagged["status"] == 246
    assert flagged["guardrails"] == [{"id": "polite", "phase": "input", "verdict": "flag"}]
    assert observed.metric("gw_cache_lookups_total", route="solo", result="hit") == 1
    assert observed.metric("gw_cache_lookups_total", route="solo", result="miss") == 1
    assert observed.metric("gw_guardrail_verdicts_total", guardrail="polite", verdict="flag") == 1
    flagged_span = [
        s for s in observed.spans("gw.request") if s.attributes and s.attributes["gw.route"] == "chat"
    ]
    (event,) = flagged_span[0].events
    assert event.attributes is not None and event.attributes["gw.verdict"] == "flag"


def test_secret_provider_key_never_appears_in_logs_or_spans(
    observed: Observed, upstreams: dict[str, FakeOpenAI]
) -> None:
    upstreams["a"].script(Reply(status=503))
    observed.server.client("chat").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert upstreams["b"].requests[0].headers["authorization"] == "Bearer sk-test-not-a-real-key"
    assert "sk-test-not-a-real-key" not in observed.stream.getvalue()
    for span in observed.spans():
        assert "sk-test-not-a-real-key" not in str(dict(span.attributes or {}))


def test_rate_limit_refusal_is_logged_and_counted(
    observed: Observed, upstreams: dict[str, FakeOpenAI]
) -> None:
    del upstreams
    tiny = observed.server.client("tiny")
    tiny.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        tiny.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    first, refused = observed.requests()
    assert (first["status"], refused["status"]) == (200, 429)
    assert refused["attempts"] == []
    assert observed.metric("gw_rate_limit_rejections_total", route="tiny", limit="requests") == 1
    assert observed.metric("gw_requests_total", route="tiny", status="429") == 1
