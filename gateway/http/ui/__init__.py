"""The admin console at `/ui`: server-rendered pages over the live config and the telemetry feed."""

from __future__ import annotations

from gateway.http.ui.handlers import ui_handlers

__all__ = ["ui_handlers"]
