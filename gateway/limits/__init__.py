"""Cost tracking, budgets (reserve → settle) and rate limits, exact in-process and across replicas.

The executor drives `BudgetLimiter` through `gateway.ports.Limiter`; the composition root builds it
with `link_store` (once per process) and `link_limiter` (once per compiled configuration), and may
journal settled spend durably (`QueuedJournal`) to `restore` counters after a restart. See
docs/budgets.md for the behaviour operators and clients see.
"""

from __future__ import annotations

from gateway.limits.estimate import estimate_prompt_tokens
from gateway.limits.fallback import FallbackStore
from gateway.limits.journal import QueuedJournal, SpendAdder, SpendJournal
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.link import link_limiter, link_store
from gateway.limits.memory import MemoryStore
from gateway.limits.periods import current_starts
from gateway.limits.pricing import CostCalculator
from gateway.limits.store import LimitStore, StoreUnavailable
from gateway.limits.valkey_store import ValkeyStore

__all__ = [
    "BudgetLimiter",
    "CostCalculator",
    "FallbackStore",
    "LimitStore",
    "LimiterConfig",
    "MemoryStore",
    "QueuedJournal",
    "SpendAdder",
    "SpendJournal",
    "StoreUnavailable",
    "ValkeyStore",
    "current_starts",
    "estimate_prompt_tokens",
    "link_limiter",
    "link_store",
]
