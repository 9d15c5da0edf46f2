"""`Telemetry`: the one object the runtime calls to feed logs, metrics and traces.

    telemetry = Telemetry.from_env(os.environ)          # composition root
    telemetry.bind(compiled)                            # on start and on every reload
    rt = telemetry.request_started(trace_id=…, route=…, config_hash=…, headers=…)
    with rt.stage("input_guardrails"): …
    rt.attempt_started(path=…, provider=…, provider_type=…, model=…, headers=upstream_headers)
    rt.attempt_finished(status=503, error="api_error")
    rt.stream_chunk()                                   # per chunk sent, for streams
    rt.request_finished(status=200, usage=…, cost_usd=…)

Lifecycle events (`started`, `config_reloaded`, `dependency_changed`) and component state
(`circuit_changed`, `budget_remaining`) are methods here. `/metrics` is `render_metrics()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from compiler.specs import CompiledGateway
from gateway.telemetry.console import ConsoleFeed
from gateway.telemetry.logging import EventLog
from gateway.telemetry.metrics import CONTENT_TYPE, Metrics
from gateway.telemetry.redaction import PiiRedactor, Redactor, redact_pii
from gateway.telemetry.request import RequestTelemetry
from gateway.telemetry.tracing import Tracing

__all__ = ["Telemetry"]


def _map_strings(value: object, fn: PiiRedactor) -> object:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(v, fn) for v in value]
    return value


class Telemetry:
    """Logs, metrics and traces behind one call per event; each sink optional."""

    def __init__(
        self,
        *,
        metrics: Metrics | None = None,
        log: EventLog | None = None,
        tracing: Tracing | None = None,
        pii_redactor: PiiRedactor = redact_pii,
        redactor: Redactor | None = None,
        console: ConsoleFeed | None = None,
    ) -> None:
        """Assemble from parts; a missing `metrics` disables metrics, a missing `tracing` disables spans.

        A missing `console` leaves `/ui` without traffic history (the config pages still work).
        """
        self.metrics = metrics
        self.log = log or EventLog()
        self.tracing = tracing or Tracing()
        self.pii_redactor = pii_redactor
        self.redactor = redactor or Redactor()
        """Secret masking shared with the JSON formatter; the linker registers resolved secrets here."""
        self.console = console
        """Recent requests and minute series for the admin console (`/ui`)."""
        self.log_prompts = False
        self.config_hash = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, redactor: Redactor | None = None) -> Telemetry:
        """Metrics and logs on, tracing as the `OTEL_*` variables say (off by default).

        `GW_METRICS=0` turns Prometheus metrics off (e.g. to measure their cost). The console feed is
        kept only when `GW_ADMIN_TOKEN` is set: without it nobody can open `/ui`.
        """
        metrics = None if environ.get("GW_METRICS", "1") == "0" else Metrics()
        tracing = Tracing.from_env(environ)
        console = ConsoleFeed() if environ.get("GW_ADMIN_TOKEN") else None
        return cls(metrics=metrics, tracing=tracing, redactor=redactor, console=console)

    def bind(self, gateway: CompiledGateway) -> None:
        """Adopt a newly active compiled gateway: metric label sets, prompt-logging policy, hash."""
        if self.console is not None:
            self.console.bound(gateway.content_hash, self.config_hash)
        self.config_hash = gateway.content_hash
        self.log_prompts = gateway.policy.log_prompts
        if self.metrics is not None:
            self.metrics.bind(gateway)

    def redact_prompt(self, value: object) -> object:
        """Apply the PII redactor to every string in a JSON-shaped value."""
        return _map_strings(value, self.pii_redactor)

    # ---------------------------------------------------------------- per request

    def request_started(
        self,
        *,
        trace_id: str,
        route: str,
        config_hash: str | None = None,
        source: str = "",
        model: str | None = None,
        stream: bool = False,
        key_id: str | None = None,
        operation: str = "chat",
        headers: Mapping[str, str] | None = None,
    ) -> RequestTelemetry:
        """Open a request: starts `gw.request` (child of an incoming `traceparent`) when tracing is on.

        `headers` are the client's request headers (lower-case names); only `traceparent` and
        `tracestate` are read. `operation` is `chat`, `embeddings` or `text_completion`.
        """
        if self.metrics is not None:
            self.metrics.in_flight.inc()
        return RequestTelemetry(
            self,
            trace_id=trace_id,
            route=route,
            config_hash=self.config_hash if config_hash is None else config_hash,
            source=source,
            model=model,
            stream=stream,
            key_id=key_id,
            operation=operation,
            headers=headers,
        )

    def request_done(self) -> None:
        """Called by `RequestTelemetry.request_finished`: the request left the in-flight gauge."""
        if self.metrics is not None:
            self.metrics.in_flight.dec()

    # ---------------------------------------------------------------- lifecycle and component state

    def started(self, *, version: str, listen: str, config_hash: str, **fields: Any) -> None:  # Any: JSON
        """Log the server start."""
        self.log.emit("start", {"version": version, "listen": listen, "config_hash": config_hash, **fields})

    def config_reloaded(
        self, *, old_hash: str, new_hash: str, ok: bool, diagnostics: Iterable[str | Mapping[str, Any]] = ()
    ) -> None:  # Any: JSON diagnostics
        """Log and count a reload; a failed one keeps `old_hash` active and lists the diagnostics."""
        if self.metrics is not None:
            self.metrics.reload(ok)
        level = logging.INFO if ok else logging.ERROR
        lines = list(diagnostics)
        fields = {"old_hash": old_hash, "new_hash": new_hash, "ok": ok, "diagnostics": lines}
        if self.console is not None:
            self.console.reloaded(old_hash, new_hash, ok, lines)
        self.log.emit("reload", fields, level=level)

    def dependency_changed(self, name: str, up: bool, detail: str = "") -> None:
        """Log a dependency going up or down and set its gauge."""
        if self.metrics is not None:
            self.metrics.dependency(name, up)
        level = logging.INFO if up else logging.WARNING
        self.log.emit("dependency", {"dependency": name, "up": up, "detail": detail}, level=level)

    def circuit_changed(self, route: str, target: str, state: str) -> None:
        """Log a breaker transition (`closed`, `half_open`, `open`) and set its gauge."""
        if self.metrics is not None:
            self.metrics.circuit_state(route, target, state)
        self.log.emit(
            "circuit", {"route": route, "target_path": target, "state": state}, level=logging.WARNING
        )

    def watch_circuits(self, source: Callable[[], Iterable[tuple[str, str, str]]]) -> None:
        """Read breaker states at each scrape from `source`: `(route, target path, state)` triples.

        Breakers move from open to half-open by the clock, with no event to push, so their gauge is
        pulled (e.g. from the runtime's breaker board snapshot).
        """
        metrics = self.metrics
        if metrics is not None:
            metrics.on_scrape(lambda: metrics.set_circuits(source()))

    def budget_remaining(self, budget_id: str, remaining_usd: float) -> None:
        """Publish how much of a budget is left."""
        if self.metrics is not None:
            self.metrics.budget(budget_id, remaining_usd)

    def render_metrics(self) -> tuple[bytes, str]:
        """Return the `/metrics` body and its content type (empty when metrics are off)."""
        if self.metrics is None:
            return b"", CONTENT_TYPE
        return self.metrics.render(), CONTENT_TYPE

    def shutdown(self) -> None:
        """Flush and stop the span exporter."""
        self.tracing.shutdown()
