"""The runtime: linked gateways, route selection and the routing executor (no ASGI framework here)."""

from __future__ import annotations

from gateway.runtime.breaker import BreakerBoard
from gateway.runtime.context import Endpoint, RequestContext
from gateway.runtime.executor import Executor
from gateway.runtime.headers import RequestHeaders, parse_headers
from gateway.runtime.holder import GatewayHolder, Serving
from gateway.runtime.linked import LinkedRoute, LinkError, RuntimeGateway, link_gateway
from gateway.runtime.outcomes import CircuitOpen, LeafResult, StreamStart
from gateway.runtime.selection import HeaderCompiled, HeaderCompiler, RouteSelector
from gateway.runtime.stages import Components
from gateway.runtime.streaming import error_event, sse_events

__all__ = [
    "BreakerBoard",
    "CircuitOpen",
    "Components",
    "Endpoint",
    "Executor",
    "GatewayHolder",
    "HeaderCompiled",
    "HeaderCompiler",
    "LeafResult",
    "LinkError",
    "LinkedRoute",
    "RequestContext",
    "RequestHeaders",
    "RouteSelector",
    "RuntimeGateway",
    "Serving",
    "StreamStart",
    "error_event",
    "link_gateway",
    "parse_headers",
    "sse_events",
]
