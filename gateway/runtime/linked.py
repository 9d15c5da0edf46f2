"""Linking: a CompiledGateway becomes a RuntimeGateway of live adapters, resolved secrets and routes.

Everything a request needs is computed here once: adapters with pooled transports, credentials read
from the environment, conditional queries compiled to predicates, loadbalance weights summed.
A RuntimeGateway is immutable once built; reload builds a new one and swaps the reference.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from compiler.specs import CompiledGateway, LeafSpec, NodeSpec, ProviderSpec, RouteSpec, SecretRef
from gateway.errors import RequestError, UpstreamUnavailable
from gateway.ports import GuardrailRunner
from gateway.providers.base import ChatResult, ChatStream, EmbeddingResult, ProviderAdapter, ProviderCall
from gateway.providers.registry import REGISTRY
from gateway.providers.transport import TransportPool
from gateway.runtime.breaker import BreakerBoard
from gateway.runtime.conditions import Predicate, compile_query
from gateway.runtime.ssrf import HostGuard

__all__ = [
    "LinkError",
    "LinkedProvider",
    "LinkedRoute",
    "RuntimeGateway",
    "UnavailableAdapter",
    "link_gateway",
    "link_provider",
    "link_route",
]


_LOG = logging.getLogger("gw.link")


class LinkError(Exception):
    """The compiled gateway cannot be linked (missing secret, unknown adapter); lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class LinkedProvider:
    """A provider ready to call: adapter, base URL, credential and extra headers."""

    spec: ProviderSpec
    adapter: ProviderAdapter
    base_url: str
    api_key: str | None = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class LinkedRoute:
    """A route tree ready to execute, with its providers and precomputed routing tables."""

    spec: RouteSpec
    config_hash: str
    providers: Mapping[str, LinkedProvider]
    conditions: Mapping[str, tuple[tuple[Predicate, int], ...]]
    """Conditional strategy path → (predicate, target index) in order."""
    input_guardrails: tuple[str, ...] = ()
    output_guardrails: tuple[str, ...] = ()
    untrusted_hosts: bool = False
    """Header-sourced: every custom_host goes through the SSRF guard."""
    cache_partition: str = "key"
    """The policy's cache partitioning: `key`, `key_tag` or `none`."""
    weights: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Loadbalance strategy path → cumulative weights of its targets."""
    default_timeout_ms: int = 60_000
    deadline_ms: int = 300_000
    guardrails: GuardrailRunner | None = None
    """A header config's own runner (its inline guardrails plus the gateway's); None: the components'."""


def _secret(
    ref: SecretRef | None, env: Mapping[str, str], slots: Sequence[str], problems: list[str]
) -> str | None:
    if ref is None:
        return None
    if ref.env is not None:
        value = env.get(ref.env)
        if value is None:
            problems.append(f"environment variable `{ref.env}` is not set")
        return value
    if ref.slot is not None and 0 <= ref.slot < len(slots):
        return slots[ref.slot]
    problems.append("a secret slot is out of range")
    return None


class UnavailableAdapter:
    """Stands in for a provider that cannot be called (missing secret, adapter not built in).

    The gateway still starts and serves every other route; calls to this provider fail with a 503
    that names the reason (never a secret), so fallback moves on to the next target.
    """

    def __init__(self, provider: str, reason: str) -> None:
        self.provider = provider
        self.reason = reason

    def _error(self) -> UpstreamUnavailable:
        error = UpstreamUnavailable(
            f"provider `{self.provider}` is unavailable: {self.reason}", provider=self.provider, status=503
        )
        error.code = "provider_unavailable"
        return error

    async def chat(self, call: ProviderCall) -> ChatResult:
        """Fail: the provider is unavailable."""
        raise self._error()

    async def chat_stream(self, call: ProviderCall) -> ChatStream:
        """Fail: the provider is unavailable."""
        raise self._error()

    async def embed(self, call: ProviderCall) -> EmbeddingResult:
        """Fail: the provider is unavailable."""
        raise self._error()

    async def aclose(self) -> None:
        """Nothing to close."""


def link_provider(
    spec: ProviderSpec,
    pool: TransportPool,
    *,
    env: Mapping[str, str],
    slots: Sequence[str] = (),
    problems: list[str],
) -> LinkedProvider:
    """Build a provider's adapter and resolve its secrets; problems are appended, never raised.

    A provider with a problem is linked to an `UnavailableAdapter` that names it.
    """
    entry = REGISTRY.get(spec.type)
    base_url = (spec.base_url or (entry.base_url if entry else None) or "").rstrip("/")
    mine: list[str] = []
    if entry is None:
        mine.append(f"adapter type `{spec.type}` is not available in this build")
    elif not base_url:
        mine.append(f"type `{spec.type}` needs a base_url")
    headers: dict[str, str] = {}
    for name, value in spec.headers:
        resolved = value if isinstance(value, str) else _secret(value, env, slots, mine)
        if resolved is not None:
            headers[name.lower()] = resolved
    api_key = _secret(spec.api_key, env, slots, mine)
    problems.extend(f"provider `{spec.id}`: {p}" for p in mine)
    if entry is None or mine:
        adapter: ProviderAdapter = UnavailableAdapter(spec.id, "; ".join(mine))
    else:
        adapter = entry.factory(spec, pool.get(f"{spec.type} {base_url}"))
    return LinkedProvider(spec=spec, adapter=adapter, base_url=base_url, api_key=api_key, headers=headers)


def _tables(
    node: NodeSpec,
    conditions: dict[str, tuple[tuple[Predicate, int], ...]],
    weights: dict[str, tuple[float, ...]],
) -> None:
    if isinstance(node, LeafSpec):
        return
    if node.mode == "conditional":
        conditions[node.path] = tuple((compile_query(c.query), c.then) for c in node.conditions)
    if node.mode == "loadbalance":
        weights[node.path] = tuple(itertools.accumulate(max(0.0, t.weight) for t in node.targets))
    for target in node.targets:
        _tables(target, conditions, weights)


def _merged(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group))


def link_route(
    spec: RouteSpec,
    providers: Mapping[str, LinkedProvider],
    compiled: CompiledGateway,
    *,
    untrusted_hosts: bool = False,
) -> LinkedRoute:
    """Precompute a route's routing tables; policy guardrails are always added (a header cannot drop them)."""
    conditions: dict[str, tuple[tuple[Predicate, int], ...]] = {}
    weights: dict[str, tuple[float, ...]] = {}
    _tables(spec.root, conditions, weights)
    policy = compiled.policy
    return LinkedRoute(
        spec=spec,
        config_hash=compiled.content_hash,
        providers=providers,
        conditions=conditions,
        input_guardrails=_merged(policy.enforced_input_guardrails, spec.input_guardrails),
        output_guardrails=_merged(policy.enforced_output_guardrails, spec.output_guardrails),
        untrusted_hosts=untrusted_hosts,
        cache_partition=policy.cache_partition,
        weights=weights,
        default_timeout_ms=policy.default_request_timeout_ms,
        deadline_ms=spec.deadline_ms or policy.default_deadline_ms,
    )


@dataclass(frozen=True, slots=True)
class RuntimeGateway:
    """A linked gateway: what one config version serves. Swapped whole on reload."""

    compiled: CompiledGateway
    providers: Mapping[str, LinkedProvider]
    routes: Mapping[str, LinkedRoute]
    host_guard: HostGuard
    breakers: BreakerBoard
    pool: TransportPool

    @property
    def config_hash(self) -> str:
        """The compiled config's content hash."""
        return self.compiled.content_hash

    def selectable_route(self, route_id: str) -> LinkedRoute:
        """The route a header names, if the policy lets headers select it."""
        route = self.routes.get(route_id)
        allowed = self.compiled.policy.header_selectable_routes
        if route is None or (allowed is not None and route_id not in allowed):
            known = ", ".join(sorted(self.routes)) or "none"
            raise RequestError(
                f"unknown route `{route_id[:64]}` in x-portkey-config; routes: {known}",
                param="x-portkey-config",
                code="unknown_route",
            )
        if allowed is None and not route.spec.header_selectable:
            raise RequestError(
                f"route `{route_id}` cannot be selected by header",
                param="x-portkey-config",
                code="route_not_selectable",
            )
        return route


def link_gateway(
    compiled: CompiledGateway,
    *,
    pool: TransportPool,
    breakers: BreakerBoard,
    env: Mapping[str, str] | None = None,
) -> RuntimeGateway:
    """Link every provider and route; providers that cannot be called are logged and answer 503."""
    env = os.environ if env is None else env
    problems: list[str] = []
    providers = {
        spec.id: link_provider(spec, pool, env=env, problems=problems) for spec in compiled.providers
    }
    if problems:
        _LOG.warning("some providers cannot be called: %s", "; ".join(problems))
    routes = {spec.id: link_route(spec, providers, compiled) for spec in compiled.routes}
    allowed = list(compiled.policy.allowed_custom_hosts)
    allowed += env.get("GW_ALLOWED_CUSTOM_HOSTS", "").split(",")
    return RuntimeGateway(
        compiled=compiled,
        providers=providers,
        routes=routes,
        host_guard=HostGuard(allowed),
        breakers=breakers,
        pool=pool,
    )
