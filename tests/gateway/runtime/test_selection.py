"""Route selection: header configs compiled once per distinct text (bounded memo), policy enforced."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from compiler import compile_header_config
from compiler.specs import CompiledGateway, PolicySpec
from gateway.errors import ConfigHeaderError, PermissionDenied, RequestError
from gateway.providers.transport import TransportPool
from gateway.runtime import BreakerBoard, RouteSelector, link_gateway, parse_headers
from tests.gateway.runtime.builders import gateway, leaf, provider, route

CONFIG = json.dumps({"provider": "openai", "api_key": "sk-1", "override_params": {"model": "gpt-x"}})


@pytest.fixture
async def pool() -> AsyncIterator[TransportPool]:
    transports = TransportPool()
    yield transports
    await transports.aclose()


def _compiled(policy: PolicySpec | None = None) -> CompiledGateway:
    return gateway(
        [provider("up", "http://127.0.0.1:9/v1")],
        [route("chat", leaf("config", "up")), route("hidden", leaf("config", "up"), header_selectable=False)],
        policy or PolicySpec(enforced_input_guardrails=("pii",)),
    )


class CountingCompiler:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str, base: CompiledGateway) -> Any:
        self.calls += 1
        return compile_header_config(text, base)


def _selector(
    pool: TransportPool, compiler: Any, policy: PolicySpec | None = None, **kw: Any
) -> RouteSelector:
    runtime = link_gateway(_compiled(policy), pool=pool, breakers=BreakerBoard(), env={})
    return RouteSelector(runtime, compiler, env={}, **kw)


async def test_a_header_config_is_compiled_once(pool: TransportPool) -> None:
    compiler = CountingCompiler()
    selector = _selector(pool, compiler)
    first = selector.select(parse_headers({"x-portkey-config": CONFIG}))
    second = selector.select(parse_headers({"x-portkey-config": CONFIG}))
    assert first is second
    assert compiler.calls == 1


async def test_the_memo_is_bounded(pool: TransportPool) -> None:
    compiler = CountingCompiler()
    selector = _selector(pool, compiler, max_entries=2)
    configs = [json.dumps({"provider": "openai", "api_key": f"sk-{i}"}) for i in range(3)]
    for text in configs:
        selector.select(parse_headers({"x-portkey-config": text}))
    selector.select(parse_headers({"x-portkey-config": configs[0]}))
    assert compiler.calls == 4  # the oldest was evicted


async def test_policy_guardrails_are_added_to_header_configs(pool: TransportPool) -> None:
    route_ = _selector(pool, compile_header_config).select(parse_headers({"x-portkey-config": CONFIG}))
    assert "pii" in route_.input_guardrails
    assert route_.untrusted_hosts


async def test_invalid_header_config_is_refused_every_time(pool: TransportPool) -> None:
    compiler = CountingCompiler()
    selector = _selector(pool, compiler)
    for _ in range(2):
        with pytest.raises(ConfigHeaderError):
            selector.select(parse_headers({"x-portkey-config": '{"strategy": {"mode": "nope"}}'}))
    assert compiler.calls == 1


async def test_route_ids_respect_header_selectability(pool: TransportPool) -> None:
    selector = _selector(pool, None)
    assert selector.select(parse_headers({"x-portkey-config": "chat"})).spec.id == "chat"
    with pytest.raises(RequestError):
        selector.select(parse_headers({"x-portkey-config": "hidden"}))
    restricted = _selector(pool, None, PolicySpec(header_selectable_routes=("hidden",)))
    with pytest.raises(RequestError):
        restricted.select(parse_headers({"x-portkey-config": "chat"}))


async def test_policy_can_turn_json_header_configs_off(pool: TransportPool) -> None:
    selector = _selector(pool, compile_header_config, PolicySpec(header_configs=False))
    with pytest.raises(PermissionDenied):
        selector.select(parse_headers({"x-portkey-config": CONFIG}))
