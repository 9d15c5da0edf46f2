"""JSON-lines logging: stdlib `logging` with a msgspec formatter and a redaction pass on every line.

Why stdlib rather than structlog: uvicorn, litestar, aiohttp and SQLAlchemy already log through stdlib
`logging`; one formatter on the root handler turns all of them into the same JSON lines and puts them
all behind the same secret redaction, with no second pipeline and no extra dependency. msgspec
encodes a line in about a microsecond.

A line is one JSON object: `ts` (RFC 3339 UTC), `level`, `logger`, `event` (the message), then the
structured fields passed as `extra={"gw": {...}}`, then `exc` when an exception is attached. Secrets
are masked in the values before encoding (`Redactor.redact_fields`), or in the encoded line when a
field holds a non-JSON type.
`EventLog` emits gw's own events (`request`, `start`, `reload`, `dependency`) through a logger.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import IO, Any

import msgspec

from gateway.telemetry.redaction import NOT_JSON, Redactor

__all__ = ["FIELDS_ATTR", "EventLog", "JsonFormatter", "configure_logging"]

FIELDS_ATTR = "gw"
"""Name of the `extra` attribute that carries an event's structured fields."""


def _fallback(value: object) -> str:
    return str(value)


class JsonFormatter(logging.Formatter):
    """Format a log record as one redacted JSON line."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()
        self._encoder = msgspec.json.Encoder(enc_hook=_fallback)
        self._second: tuple[int, str] = (-1, "")  # the last second formatted (one tuple: thread-safe)

    def _stamp(self, created: float) -> str:
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return cached[1]

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON text, secrets masked."""
        redactor = self.redactor
        out: dict[str, Any] = {  # Any: JSON values
            "ts": f"{self._stamp(record.created)}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": redactor.redact_text(record.name),
            "event": redactor.redact_text(record.getMessage()),
        }
        fields = getattr(record, FIELDS_ATTR, None)
        clean = True
        if isinstance(fields, Mapping):
            masked = redactor.redact_fields(fields)
            if masked is NOT_JSON:
                masked, clean = fields, False
            for key, value in masked.items():  # type: ignore[attr-defined]
                out.setdefault(key, value)
        if record.exc_info:
            out["exc"] = redactor.redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            out["exc"] = redactor.redact_text(record.exc_text)
        text = self._encoder.encode(out).decode()
        # Fields of other types are encoded by `_fallback` (str()); mask the encoded text as a whole.
        return text if clean else redactor.redact(text)


def configure_logging(
    *, level: int | str = logging.INFO, stream: IO[str] | None = None, redactor: Redactor | None = None
) -> logging.Handler:
    """Send every logger's output as JSON lines to `stream` (stderr); return the installed handler.

    Called once by the composition root (`gw serve`); replaces handlers previously installed here.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redactor))
    handler.set_name("gw-json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "gw-json"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


class EventLog:
    """Emits gw's structured events through one logger (`gw` by default)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("gw")

    def emit(self, event: str, fields: dict[str, Any], *, level: int = logging.INFO) -> None:  # Any: JSON
        """Log one event with its fields (dropped cheaply when the level is disabled).

        The record is handed to the logger directly: `Logger.log` would walk the stack for the
        caller's file and line, which no gw line shows (the event and its `source` say where).
        """
        logger = self.logger
        if logger.isEnabledFor(level):
            record = logger.makeRecord(
                logger.name, level, "(unknown file)", 0, event, (), None, extra={FIELDS_ATTR: fields}
            )
            logger.handle(record)

    @property
    def enabled(self) -> bool:
        """Whether `info` events would be written (lets callers skip building the fields)."""
        return self.logger.isEnabledFor(logging.INFO)
