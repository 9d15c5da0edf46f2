"""Fixtures: the real server with every telemetry sink captured (JSON log lines, /metrics, spans)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from compiler.specs import CompiledGateway
from gateway.app.wiring import Wiring
from gateway.telemetry import ConsoleFeed, EventLog, JsonFormatter, Metrics, Redactor, Telemetry, Tracing
from tests.integration.gateway.conftest import ServeFn, _fresh_upstreams, serve, upstreams
from tests.integration.gateway.server import GatewayServer
from tests.integration.ui.conftest import manifests

__all__ = ["_fresh_upstreams", "manifests", "serve", "upstreams"]


@dataclass
class Observed:
    """A running server and what its telemetry produced."""

    server: GatewayServer
    telemetry: Telemetry
    stream: io.StringIO
    exporter: InMemorySpanExporter

    def log_lines(self) -> list[dict[str, Any]]:  # Any: JSON log lines
        """Every JSON line written so far."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def requests(self) -> list[dict[str, Any]]:  # Any: JSON log lines
        """The `request` log lines."""
        return [line for line in self.log_lines() if line["event"] == "request"]

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the `/metrics` samples called `name` whose labels include `labels`."""
        text = self.telemetry.render_metrics()[0].decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        """Finished spans (named `name`, when given)."""
        return [s for s in self.exporter.get_finished_spans() if name is None or s.name == name]


@pytest.fixture
def observed(
    manifests: Callable[[], CompiledGateway], serve: ServeFn, request: pytest.FixtureRequest
) -> Iterator[Observed]:
    """`gw serve`'s wiring with logs to a buffer, metrics, and spans to an in-memory exporter."""
    stream = io.StringIO()
    redactor = Redactor()
    logger = logging.getLogger(f"gw.it.{request.node.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(redactor))
    logger.addHandler(handler)
    exporter = InMemorySpanExporter()
    telemetry = Telemetry(
        metrics=Metrics(),
        log=EventLog(logger),
        tracing=Tracing(exporter, batch=False),
        redactor=redactor,
        console=ConsoleFeed(),
    )
    wiring = Wiring({}, config_root=Path("configs"), telemetry=telemetry)
    server = serve(manifests(), components=wiring.for_config, telemetry=telemetry, shutdown=[wiring.shutdown])
    yield Observed(server, telemetry, stream, exporter)
    logger.removeHandler(handler)
    telemetry.shutdown()
