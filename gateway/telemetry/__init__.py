"""Telemetry: JSON logs, Prometheus metrics and OpenTelemetry traces behind one facade.

The bottom layer of the gateway: imports nothing from the rest of `gateway` except `gateway.usage`.
"""

from __future__ import annotations

from gateway.telemetry.console import ConsoleFeed, ReloadRecord
from gateway.telemetry.facade import Telemetry
from gateway.telemetry.logging import EventLog, JsonFormatter, configure_logging
from gateway.telemetry.metrics import Metrics
from gateway.telemetry.redaction import Redactor, redact_pii
from gateway.telemetry.request import RequestTelemetry
from gateway.telemetry.series import Minute
from gateway.telemetry.tracing import Tracing

__all__ = [
    "ConsoleFeed",
    "EventLog",
    "JsonFormatter",
    "Metrics",
    "Minute",
    "Redactor",
    "ReloadRecord",
    "RequestTelemetry",
    "Telemetry",
    "Tracing",
    "configure_logging",
    "redact_pii",
]
