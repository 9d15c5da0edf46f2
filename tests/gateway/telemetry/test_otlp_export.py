"""With only the standard OTEL_* variables set, spans reach an OTLP/HTTP collector on loopback."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gateway.telemetry import EventLog, Telemetry, Tracing
from tests.gateway.telemetry.conftest import LogCapture


class Collector(HTTPServer):
    """A minimal OTLP/HTTP trace collector: keeps every decoded export request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, ExportTraceServiceRequest]] = []
        self.received = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.requests.append((self.path, request))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.received.set()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A collector serving on a loopback port in a thread."""
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_otel_variables_alone_export_request_spans_over_otlp_http(
    collector: Collector, logs: LogCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{collector.server_port}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gw-under-test")
    tel = Telemetry(log=EventLog(logs.logger), tracing=Tracing.from_env(os.environ))
    assert tel.tracing.enabled
    rt = tel.request_started(trace_id="t", route="chat", model="gpt-4o-mini")
    rt.attempt_started(
        path="config.targets[0]", provider="openai_prod", provider_type="openai", model="gpt-4o-mini"
    )
    rt.attempt_finished(status=200)
    rt.request_finished(status=200)
    tel.shutdown()

    assert collector.received.wait(10)
    (path, request), *_ = collector.requests
    assert path == "/v1/traces"
    resource_spans = request.resource_spans[0]
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
    assert service == "gw-under-test"
    names = {span.name for scope in resource_spans.scope_spans for span in scope.spans}
    assert names == {"gw.request", "gw.attempt"}
    assert logs.events("request")[0]["otel_trace_id"] == rt.span_trace_id
