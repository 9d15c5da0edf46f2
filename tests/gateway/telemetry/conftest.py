"""Fixtures for telemetry tests: a compiled gateway, captured JSON log lines, an in-memory span exporter."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from compiler.specs import (
    BudgetSpec,
    CheckSpec,
    CompiledGateway,
    GuardrailSpec,
    LeafSpec,
    PolicySpec,
    ProviderSpec,
    RouteSpec,
    ScopeSpec,
    SecretRef,
    Source,
    StrategySpec,
)
from gateway.telemetry import EventLog, JsonFormatter, Metrics, Redactor, Telemetry, Tracing

ROUTE_FILE = "routes/chat.yaml"


def _src(line: int) -> Source:
    return Source(file=ROUTE_FILE, line=line, col=3)


def compiled_gateway(
    *, log_prompts: bool = False, content_hash: str = "sha256:" + "ab" * 16
) -> CompiledGateway:
    """A gateway with a `chat` route falling back from `openai_prod` to `anthropic`."""
    providers = (
        ProviderSpec(id="anthropic", type="anthropic", api_key=SecretRef(env="ANTHROPIC_API_KEY"),
                     models=("claude-haiku",), source=_src(1)),
        ProviderSpec(id="openai_prod", type="openai", api_key=SecretRef(env="OPENAI_API_KEY"),
                     models=("gpt-4o-mini",), source=_src(5)),
    )  # fmt: skip
    root = StrategySpec(
        path="config",
        mode="fallback",
        targets=(
            LeafSpec(path="config.targets[0]", provider="openai_prod", source=_src(12)),
            LeafSpec(path="config.targets[1]", provider="anthropic", source=_src(14)),
        ),
        source=_src(10),
    )
    return CompiledGateway(
        content_hash=content_hash,
        providers=providers,
        routes=(RouteSpec(id="chat", root=root, source=_src(9)),),
        guardrails=(
            GuardrailSpec(id="no_pii", checks=(CheckSpec(type="pii", source=_src(20)),), source=_src(19)),
        ),
        budgets=(BudgetSpec(id="team_a", scope=ScopeSpec(kind="global"), limit_usd=100.0, source=_src(30)),),
        policy=PolicySpec(log_prompts=log_prompts),
    )


class LogCapture:
    """JSON lines written through the gw formatter into memory."""

    def __init__(self, redactor: Redactor) -> None:
        self.stream = io.StringIO()
        self.logger = logging.getLogger(f"gw.test.{uuid.uuid4().hex}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter(redactor))
        self.logger.addHandler(self.handler)

    @property
    def text(self) -> str:
        """Everything written so far."""
        return self.stream.getvalue()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every line parsed, optionally only those of one event."""
        lines = [json.loads(line) for line in self.text.splitlines()]
        return [e for e in lines if name is None or e["event"] == name]

    def close(self) -> None:
        """Detach the handler."""
        self.logger.removeHandler(self.handler)


@pytest.fixture
def redactor() -> Redactor:
    """A redactor that knows two resolved provider keys."""
    return Redactor(["resolved-openai-secret-value-123", "anthropic-resolved-secret-456"])


@pytest.fixture
def logs(redactor: Redactor) -> Iterator[LogCapture]:
    """Captured JSON log lines."""
    capture = LogCapture(redactor)
    yield capture
    capture.close()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Finished spans, exported synchronously."""
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(logs: LogCapture, spans: InMemorySpanExporter, redactor: Redactor) -> Iterator[Telemetry]:
    """Logs, metrics and tracing all on, bound to the sample gateway."""
    tracing = Tracing(spans, batch=False)
    tel = Telemetry(metrics=Metrics(), log=EventLog(logs.logger), tracing=tracing, redactor=redactor)
    tel.bind(compiled_gateway())
    yield tel
    tel.shutdown()
