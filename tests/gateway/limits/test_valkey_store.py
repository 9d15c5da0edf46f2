"""Valkey specifics: scripts reloaded after a flush, keys namespaced, period keys expiring."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from valkey.asyncio import Valkey

from compiler.specs import BudgetSpec, CompiledGateway, PolicySpec, PriceSpec, ScopeSpec, Source
from gateway.limits.fallback import FallbackStore
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.link import link_limiter, link_store
from gateway.limits.memory import MemoryStore
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import Hold, Window
from gateway.limits.valkey_store import ValkeyStore
from gateway.ports import LimitContext, VirtualKey
from gateway.usage import Usage
from tests.services import ValkeyServer

SRC = Source(file="budgets/team.yaml", line=1, col=1)
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)
CTX = LimitContext(
    key=VirtualKey(id="k1", requests_per_minute=10),
    model="flat",
    estimated_prompt_tokens=1000,
    max_tokens=1000,
)


@pytest.fixture
async def client(valkey_server: ValkeyServer) -> AsyncIterator[Valkey]:
    valkey = Valkey.from_url(valkey_server.url)
    yield valkey
    await valkey.aclose()


async def test_scripts_are_loaded_again_after_the_server_forgets_them(client: Valkey, prefix: str) -> None:
    store = ValkeyStore(client)
    assert (await store.hit([Window(key=f"{prefix}w", weight=1, limit=5)])).admitted
    await client.script_flush()
    assert (await store.reserve("r1", [Hold(counter=f"{prefix}c", amount=1, limit=5)], 60)).admitted
    assert (await store.hit([Window(key=f"{prefix}w", weight=1, limit=5)])).admitted


@pytest.mark.parametrize(("period", "longest_s"), [("daily", 86_400), ("monthly", 31 * 86_400)])
async def test_period_counters_expire_after_their_period(
    client: Valkey, prefix: str, period: str, longest_s: int
) -> None:
    budget = BudgetSpec(id="team", scope=ScopeSpec(kind="global"), period=period, limit_usd=1.0, source=SRC)  # type: ignore[arg-type]
    config = LimiterConfig(key_prefix=prefix, lease_s=600)
    limiter = BudgetLimiter(
        budgets=(budget,), costs=CostCalculator(PRICES), store=ValkeyStore(client), config=config
    )
    reservation = await limiter.reserve(CTX)
    counter = reservation.holds[0][0]
    assert counter.startswith(f"{prefix}b:team:{'d' if period == 'daily' else 'm'}")
    for key in (counter, counter + ":leases"):
        ttl = await client.ttl(key)
        assert 600 < ttl <= longest_s + 600


async def test_total_counters_never_expire_and_windows_do(client: Valkey, prefix: str) -> None:
    budget = BudgetSpec(id="team", scope=ScopeSpec(kind="global"), period="total", limit_usd=1.0, source=SRC)
    config = LimiterConfig(key_prefix=prefix)
    limiter = BudgetLimiter(
        budgets=(budget,), costs=CostCalculator(PRICES), store=ValkeyStore(client), config=config
    )
    await limiter.admit_request(CTX)
    reservation = await limiter.reserve(CTX)
    assert reservation.holds[0][0] == f"{prefix}b:team:total:*"
    assert await client.ttl(reservation.holds[0][0]) == -1
    window_ttl = await client.pttl(f"{prefix}rlk:req:k1")
    assert 60_000 < window_ttl <= 61_000


async def test_every_key_is_under_the_prefix(client: Valkey, prefix: str) -> None:
    budget = BudgetSpec(
        id="team", scope=ScopeSpec(kind="key"), limit_usd=1.0, tokens_per_minute=10, source=SRC
    )
    limiter = BudgetLimiter(
        budgets=(budget,),
        costs=CostCalculator(PRICES),
        store=ValkeyStore(client),
        config=LimiterConfig(key_prefix=prefix),
    )
    await limiter.admit_request(CTX)
    await limiter.reserve(CTX)
    keys = sorted([k.decode() async for k in client.scan_iter(match=prefix + "*")])
    assert len(keys) >= 4
    assert all(k.startswith(prefix) for k in keys)


def test_link_store_picks_the_backend_and_the_policy(client: Valkey) -> None:
    strict = CompiledGateway(policy=PolicySpec(on_valkey_down="fail_closed"))
    assert isinstance(link_store(strict, None), MemoryStore)
    assert isinstance(link_store(strict, client), FallbackStore)
    limiter = link_limiter(strict, MemoryStore())
    assert limiter.costs.cost("openai", "unknown", Usage(prompt_tokens=1)) is None
