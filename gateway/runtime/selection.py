"""Which route serves a request: a header config (compiled once, memoised), a route id, or headers only.

Portkey's rules: `x-portkey-config` is a JSON object or (gw) a route id from the manifests; without
it, `x-portkey-provider` plus `Authorization` make a one-target config. A JSON header config goes
through the same compiler as the manifests and is memoised by its hash in a bounded LRU that belongs
to one RuntimeGateway (a reload starts a fresh one, since the base config changed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast

import msgspec

from compiler.specs import (
    AdapterType,
    CompiledGateway,
    GuardrailSpec,
    LeafSpec,
    ProviderSpec,
    RouteSpec,
    SecretRef,
    Source,
)
from gateway.errors import ConfigHeaderError, PermissionDenied, RequestError
from gateway.ports import GuardrailRunner
from gateway.providers.registry import REGISTRY
from gateway.runtime.headers import RequestHeaders
from gateway.runtime.linked import LinkedProvider, LinkedRoute, RuntimeGateway, link_provider, link_route

__all__ = ["HeaderCompiled", "HeaderCompiler", "RouteSelector"]

_HEADER_SOURCE = Source(file="<x-portkey-config>")
_LOG = logging.getLogger("gw.config")


class HeaderCompiled(Protocol):
    """What the compiler returns for a header config (compiler.compile_header_config)."""

    @property
    def route(self) -> RouteSpec | None: ...
    @property
    def providers(self) -> Sequence[ProviderSpec]: ...
    @property
    def secrets(self) -> Sequence[str]: ...
    @property
    def diagnostics(self) -> Sequence[Any]: ...  # Any: compiler.Diagnostic


HeaderCompiler = Callable[[str, CompiledGateway], HeaderCompiled]


def _diagnostic(diag: Any) -> dict[str, Any]:  # Any: compiler.Diagnostic, duck-typed
    out = {name: getattr(diag, name, None) for name in ("code", "severity", "message", "pointer", "hint")}
    return {k: v for k, v in out.items() if v not in (None, "")}


def _refused(result: HeaderCompiled) -> ConfigHeaderError:
    diags = [_diagnostic(d) for d in result.diagnostics if getattr(d, "severity", "error") == "error"]
    first = diags[0] if diags else {"message": "invalid config"}
    where = f" at {first['pointer']}" if first.get("pointer") else ""
    return ConfigHeaderError(
        f"invalid x-portkey-config: {first.get('message')}{where}",
        diagnostics=diags,
        param="x-portkey-config",
    )


def _with_env_hosts(compiled: CompiledGateway, env: Mapping[str, str]) -> CompiledGateway:
    """The base a header compiles against: the policy's allowed hosts plus GW_ALLOWED_CUSTOM_HOSTS."""
    extra = tuple(h.strip() for h in env.get("GW_ALLOWED_CUSTOM_HOSTS", "").split(",") if h.strip())
    if not extra:
        return compiled
    policy = msgspec.structs.replace(
        compiled.policy, allowed_custom_hosts=(*compiled.policy.allowed_custom_hosts, *extra)
    )
    return msgspec.structs.replace(compiled, policy=policy)


class RouteSelector:
    """Picks (and for header configs, compiles and links once) the route for a request."""

    def __init__(
        self,
        gateway: RuntimeGateway,
        compile_header: HeaderCompiler | None,
        *,
        max_entries: int = 1024,
        env: Mapping[str, str] | None = None,
        guardrails: GuardrailRunner | None = None,
    ) -> None:
        self.gateway = gateway
        self._guardrails = guardrails
        self._compile = compile_header
        self._max = max_entries
        self._env = os.environ if env is None else env
        self._memo: OrderedDict[str, LinkedRoute | ConfigHeaderError] = OrderedDict()
        self._header_base = _with_env_hosts(gateway.compiled, self._env)

    def select(self, headers: RequestHeaders) -> LinkedRoute:
        """Return the route for these headers or raise an OpenAI-shaped RequestError."""
        config = headers.config
        if config is None:
            if headers.provider is not None:
                return self._memoised(self._adhoc_key(headers), lambda: self._adhoc(headers))
            default = self.gateway.routes.get("default")
            if default is not None:
                return default
            raise RequestError(
                "either x-portkey-config (a JSON config or a route id) or x-portkey-provider is required",
                param="x-portkey-config",
            )
        if config.startswith("{"):
            if not self.gateway.compiled.policy.header_configs:
                raise PermissionDenied("JSON configs in x-portkey-config are disabled by the gateway policy")
            key = "json " + hashlib.sha256(config.encode("utf-8", "surrogatepass")).hexdigest()
            return self._memoised(key, lambda: self._compile_header(config))
        return self.gateway.selectable_route(config)

    def _memoised(self, key: str, build: Callable[[], LinkedRoute]) -> LinkedRoute:
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = build()
            except ConfigHeaderError as exc:
                hit = exc
            self._memo[key] = hit
            if len(self._memo) > self._max:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(key)
        if isinstance(hit, ConfigHeaderError):
            # The memoised error is shared: each request raises its own (headers are per request).
            raise ConfigHeaderError(hit.message, diagnostics=hit.diagnostics, param=hit.param)
        return hit

    def _compile_header(self, text: str) -> LinkedRoute:
        if self._compile is None:
            raise ConfigHeaderError("JSON header configs need the compiler", diagnostics=[])
        try:
            result = self._compile(text, self._header_base)
        except Exception:  # a compiler bug must be a 400 for this header, not a 500 for the server
            _LOG.exception("x-portkey-config compilation crashed")
            raise ConfigHeaderError("x-portkey-config could not be compiled", diagnostics=[]) from None
        if result.route is None:
            raise _refused(result)
        linked = self._link(result.route, result.providers, result.secrets)
        inline: tuple[GuardrailSpec, ...] = tuple(getattr(result, "guardrails", ()))
        return dataclasses.replace(linked, guardrails=self._inline(inline)) if inline else linked

    def _inline(self, guardrails: tuple[GuardrailSpec, ...]) -> GuardrailRunner:
        """A runner for a header config's inline guardrails (never silently skipped)."""
        if self._guardrails is None:
            raise ConfigHeaderError(
                "invalid x-portkey-config: inline guardrails need the guardrail engine, "
                "which this gateway does not run",
                diagnostics=[],
                param="x-portkey-config",
            )
        try:
            return self._guardrails.extended(guardrails)
        except ValueError as exc:
            raise ConfigHeaderError(
                f"invalid x-portkey-config: {exc}", diagnostics=[], param="x-portkey-config"
            ) from None

    def _link(self, route: RouteSpec, specs: Sequence[ProviderSpec], secrets: Sequence[str]) -> LinkedRoute:
        problems: list[str] = []
        providers: dict[str, LinkedProvider] = dict(self.gateway.providers)
        for spec in specs:
            providers[spec.id] = link_provider(
                spec, self.gateway.pool, env=self._env, slots=secrets, problems=problems
            )
        if problems:
            raise ConfigHeaderError(
                f"invalid x-portkey-config: {problems[0]}",
                diagnostics=[{"message": p} for p in problems],
                param="x-portkey-config",
            )
        return link_route(route, providers, self.gateway.compiled, untrusted_hosts=True)

    @staticmethod
    def _adhoc_key(headers: RequestHeaders) -> str:
        token = hashlib.sha256((headers.bearer or "").encode()).hexdigest()
        return msgspec.json.encode(["adhoc", headers.provider, token, headers.custom_host]).decode()

    def _adhoc(self, headers: RequestHeaders) -> LinkedRoute:
        name = headers.provider or ""
        specs: tuple[ProviderSpec, ...] = ()
        secrets: tuple[str, ...] = ()
        if name in self.gateway.providers:
            provider_id = name
        elif name in REGISTRY:
            provider_id = name
            api_key = SecretRef(slot=0) if headers.bearer else None
            kind = cast(AdapterType, name)
            specs = (ProviderSpec(id=name, type=kind, api_key=api_key, source=_HEADER_SOURCE),)
            secrets = (headers.bearer,) if headers.bearer else ()
        else:
            raise RequestError(
                f"unknown provider `{name[:64]}` in x-portkey-provider", param="x-portkey-provider"
            )
        leaf = LeafSpec(
            path="config", provider=provider_id, custom_host=headers.custom_host, source=_HEADER_SOURCE
        )
        route = RouteSpec(id="x-portkey-provider", root=leaf, source=_HEADER_SOURCE)
        return self._link(route, specs, secrets)
