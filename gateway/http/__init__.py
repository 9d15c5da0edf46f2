"""The HTTP surface: thin litestar handlers over the runtime, one error mapping to OpenAI's shape."""

from __future__ import annotations

from gateway.http.errors import EXCEPTION_HANDLERS
from gateway.http.routes import HttpServices, build_route_handlers

__all__ = ["EXCEPTION_HANDLERS", "HttpServices", "build_route_handlers"]
