"""Link a compiled gateway's budgets and prices to live counters: the limiter the composition root builds."""

from __future__ import annotations

from valkey.asyncio import Valkey

from compiler.specs import CompiledGateway
from gateway.limits.fallback import FallbackStore
from gateway.limits.journal import SpendJournal
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.memory import MemoryStore
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import LimitStore
from gateway.limits.valkey_store import ValkeyStore

__all__ = ["link_limiter", "link_store"]


def link_store(
    gateway: CompiledGateway, valkey: Valkey | None, config: LimiterConfig | None = None
) -> LimitStore:
    """Return the counter store: in-process without Valkey, else Valkey under the `on_valkey_down` policy.

    Build it once per process and keep it across reloads: it holds the live counters."""
    if valkey is None:
        return MemoryStore()
    probe = (config or LimiterConfig()).probe_interval_s
    return FallbackStore(
        ValkeyStore(valkey), MemoryStore(), gateway.policy.on_valkey_down, probe_interval_s=probe
    )


def link_limiter(
    gateway: CompiledGateway,
    store: LimitStore,
    config: LimiterConfig | None = None,
    journal: SpendJournal | None = None,
) -> BudgetLimiter:
    """Return the limiter for one compiled configuration over an existing store (and journal)."""
    return BudgetLimiter(
        budgets=gateway.budgets,
        costs=CostCalculator(gateway.pricing),
        store=store,
        config=config,
        journal=journal,
    )
