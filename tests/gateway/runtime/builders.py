"""Hand-built compiled Specs for runtime and integration tests (the compiler's output, by hand)."""

from __future__ import annotations

from typing import Any

import msgspec

from compiler.specs import (
    CompiledGateway,
    LeafSpec,
    NodeSpec,
    PolicySpec,
    ProviderSpec,
    RouteSpec,
    Source,
    StrategySpec,
    content_hash,
)

__all__ = ["gateway", "leaf", "provider", "route", "strategy"]

SRC = Source(file="routes/test.yaml", line=1, col=1)


def provider(pid: str, base_url: str, *, type: str = "openai", **kw: Any) -> ProviderSpec:
    """A provider spec pointing at a fake upstream."""
    return ProviderSpec(id=pid, type=type, base_url=base_url, source=SRC, **kw)  # type: ignore[arg-type]


def leaf(path: str, provider_id: str, *, overrides: dict[str, Any] | None = None, **kw: Any) -> LeafSpec:
    """A leaf target; `overrides` becomes canonical override_params JSON."""
    params = msgspec.json.encode(overrides or {}, order="sorted").decode()
    return LeafSpec(path=path, provider=provider_id, override_params=params, source=SRC, **kw)


def strategy(path: str, mode: str, targets: list[NodeSpec], **kw: Any) -> StrategySpec:
    """A strategy node."""
    return StrategySpec(path=path, mode=mode, targets=tuple(targets), source=SRC, **kw)  # type: ignore[arg-type]


def route(rid: str, root: NodeSpec, **kw: Any) -> RouteSpec:
    """A route."""
    return RouteSpec(id=rid, root=root, source=SRC, **kw)


def gateway(
    providers: list[ProviderSpec], routes: list[RouteSpec], policy: PolicySpec | None = None
) -> CompiledGateway:
    """A compiled gateway with its content hash."""
    compiled = CompiledGateway(
        providers=tuple(sorted(providers, key=lambda p: p.id)),
        routes=tuple(sorted(routes, key=lambda r: r.id)),
        policy=policy or PolicySpec(),
    )
    return msgspec.structs.replace(compiled, content_hash=content_hash(compiled))
