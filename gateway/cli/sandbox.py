"""An in-process gateway over simulated upstreams: the real executor, guardrails, cache and budgets.

`gw test` and `gw explain --request` send requests through `Sandbox.send`. Everything except the
network is the code `gw serve` runs: the linked routes (`link_route`), the `Executor` with its
selection, retries, breakers and fallback, the guardrail engine, the response cache (in-process) and
the budget limiter (in-memory counters). Providers are `SimulatedAdapter`s answering from a `Script`;
waits between retries are recorded, not slept; loadbalance draws come from a seeded RNG.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from compiler.cases import OutcomeSpec
from compiler.specs import CompiledGateway
from gateway.cache import CacheSettings, GatewayResponseCache
from gateway.cli.recorders import GuardrailStep, RecordingGuardrails, RecordingLimiter
from gateway.errors import AllTargetsFailed, GatewayError, GuardrailDenied, StreamBroken
from gateway.guardrails import GuardrailEngine
from gateway.http.body import check_chat, check_completion, check_embedding
from gateway.limits import MemoryStore, link_limiter
from gateway.ports import LimitContext, Reservation
from gateway.providers.simulated import Script, ScriptedCall, SimulatedAdapter
from gateway.providers.transport import TransportPool
from gateway.runtime import BreakerBoard, Components, Executor, RequestContext, RuntimeGateway, parse_headers
from gateway.runtime.context import Endpoint
from gateway.runtime.linked import LinkedProvider, link_route
from gateway.runtime.outcomes import StreamStart
from gateway.runtime.ssrf import HostGuard
from gateway.runtime.streaming import DONE, sse_events

__all__ = ["Sandbox", "Trial"]

_STREAM_ERRORS = {GuardrailDenied.type: GuardrailDenied.status, StreamBroken.type: StreamBroken.status}
"""Status of a stream that ended with an error event, by the event's error type."""


@dataclass
class Trial:
    """What one request did: the answer, the attempts, and every component's decision."""

    status: int
    target: str
    """Path of the target that answered (or failed last)."""
    provider: str
    calls: list[ScriptedCall]
    retries: int
    cache: str
    guardrail_steps: list[GuardrailStep]
    guardrails: str
    budget: str
    reservations: list[tuple[LimitContext, Reservation]]
    waits_s: list[float]
    error_code: str | None = None
    error: str | None = None
    content: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)  # Any: the executor's attempt trail

    @property
    def tried(self) -> list[str]:
        """Target paths called, in order (one per attempt)."""
        return [c.path for c in self.calls]


def _content(body: dict[str, Any]) -> str | None:  # Any: OpenAI JSON
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
    return None


class Sandbox:
    """A compiled gateway linked to simulated upstreams; send requests one at a time."""

    def __init__(
        self,
        compiled: CompiledGateway,
        *,
        outcomes: Mapping[str, Sequence[OutcomeSpec]] | None = None,
        seed: int = 0,
        config_root: Path | None = None,
    ) -> None:
        self.compiled = compiled
        self.script = Script(outcomes or {})
        self._ctx: RequestContext | None = None
        self.waits_s: list[float] = []
        providers = {
            spec.id: LinkedProvider(
                spec=spec,
                adapter=SimulatedAdapter(spec.id, self.script, self._current_path),
                base_url=f"simulated://{spec.id}",
                api_key=None,
            )
            for spec in compiled.providers
        }
        self.gateway = RuntimeGateway(
            compiled=compiled,
            providers=providers,
            routes={spec.id: link_route(spec, providers, compiled) for spec in compiled.routes},
            host_guard=HostGuard([]),
            breakers=BreakerBoard(),
            pool=TransportPool(),
        )
        self._tmp = tempfile.TemporaryDirectory(prefix="gw-sandbox-")
        self.guardrails, self.limiter = self._components(config_root)
        self.executor = Executor(
            Components(
                cache=self._cache(),
                guardrails=self.guardrails,
                limiter=self.limiter,
                rng=random.Random(seed),  # noqa: S311 - reproducible draws, not cryptography
                sleep=self._sleep,
            )
        )

    def _components(self, root: Path | None) -> tuple[RecordingGuardrails | None, RecordingLimiter | None]:
        guardrails = limiter = None
        if self.compiled.guardrails:
            guardrails = RecordingGuardrails(GuardrailEngine.from_compiled(self.compiled, config_root=root))
        if self.compiled.budgets:
            limiter = RecordingLimiter(link_limiter(self.compiled, MemoryStore()))
        return guardrails, limiter

    def _cache(self) -> Any:  # Any: gateway.cache.GatewayResponseCache (the ResponseCache port)
        return GatewayResponseCache(CacheSettings(semantic_uri=str(Path(self._tmp.name) / "semantic")))

    def _current_path(self) -> str:
        return self._ctx.last_path if self._ctx is not None else ""

    async def _sleep(self, seconds: float) -> None:
        self.waits_s.append(seconds)

    def _reset_records(self) -> None:
        self.script.calls.clear()
        self.waits_s.clear()
        if self.guardrails is not None:
            self.guardrails.steps.clear()
        if self.limiter is not None:
            self.limiter.clear()

    async def send(
        self,
        route_id: str,
        body: dict[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        endpoint: Endpoint = "chat",
    ) -> Trial:  # Any: OpenAI request JSON
        """Send one request to a route (as `x-portkey-config: <route id>`) and report what happened."""
        self._reset_records()
        raw = {k.lower(): v for k, v in (headers or {}).items()}
        if metadata:
            raw["x-portkey-metadata"] = msgspec.json.encode(dict(metadata)).decode()
        raw.setdefault("x-portkey-trace-id", "gw-sandbox")
        ctx = RequestContext(
            headers=parse_headers(raw), endpoint=endpoint, params=body, stream=body.get("stream") is True
        )
        self._ctx = ctx
        route = self.gateway.routes[route_id]
        status, error_code, error, content = 200, None, None, None
        try:
            ctx.stream = _checked(endpoint, body)  # the HTTP layer's own body checks (400 naming the field)
            result = await self.executor.run(self.gateway, route, ctx, dict(body))
        except GatewayError as exc:
            status, error_code, error = exc.status, exc.code, exc.message
            if isinstance(exc, AllTargetsFailed):
                error_code = error_code or exc.last.type
        else:
            status = ctx.status
            if isinstance(result, StreamStart):
                status, error_code, error = await self._stream(result, ctx)
            else:
                content = _content(result.body)
        background = getattr(self.executor.components, "background", None)
        if background is not None:  # cache stores run after the response: finish them first
            await background.drain()
        return self._trial(ctx, status, error_code, error, content)

    async def _stream(self, start: StreamStart, ctx: RequestContext) -> tuple[int, str | None, str | None]:
        """Play a committed stream through the server's own SSE path (stream guardrails, cache, settle)."""
        frames = [frame async for frame in sse_events(start, ctx, self.executor.components)]
        last = frames[-1] if frames else b""
        if last.endswith(DONE):  # after the guardrail verdict event, when one is sent
            return ctx.status, None, None
        error = msgspec.json.decode(last.removeprefix(b"data: "))["error"]
        return (
            _STREAM_ERRORS.get(error.get("type"), 502),
            error.get("code") or error.get("type"),
            error.get("message"),
        )

    def _trial(
        self, ctx: RequestContext, status: int, code: str | None, error: str | None, content: str | None
    ) -> Trial:
        guardrails, limiter = self.guardrails, self.limiter
        return Trial(
            status=status,
            target=ctx.last_path,
            provider=ctx.provider_id,
            calls=list(self.script.calls),
            retries=ctx.retry_count,
            cache=ctx.cache_status,
            guardrail_steps=list(guardrails.steps) if guardrails else [],
            guardrails=guardrails.overall() if guardrails else "pass",
            budget=limiter.decision() if limiter else "none",
            reservations=list(limiter.reservations) if limiter else [],
            waits_s=list(self.waits_s),
            error_code=code,
            error=error,
            content=content,
            attempts=list(ctx.attempts),
        )

    async def aclose(self) -> None:
        """Close the cache and the guardrail engine; remove the temporary directory."""
        cache = self.executor.components.cache
        if cache is not None:
            await cache.close()  # type: ignore[attr-defined]
        if self.guardrails is not None:
            await self.guardrails.inner.aclose()  # type: ignore[attr-defined]
        self._tmp.cleanup()


def _checked(endpoint: Endpoint, body: dict[str, Any]) -> bool:  # Any: OpenAI request JSON
    """Check the body as `gw serve` does before routing; return whether it asks for a stream."""
    if endpoint == "chat":
        return check_chat(body)
    if endpoint == "completions":
        return check_completion(body)
    check_embedding(body)
    return False
