"""The real components of `gw serve`, built from the environment: cache, guardrails, limits, storage.

Process-wide (kept across reloads): the response cache, the limit counter store and its spend journal,
storage (virtual keys, ledger) and telemetry. Per compiled config (rebuilt on reload): the guardrail
engine and the budget limiter. Storage is opt-in: it opens only when `GW_DATABASE_URL` is set (and
refuses an unmigrated database), so a fresh checkout starts with nothing but the manifests.

    GW_DATABASE_URL      storage: `Authorization: Bearer gw-…` keys, usage ledger, durable budgets
    GW_REQUIRE_KEYS=1    with storage: every request needs a gw key (otherwise anonymous calls pass)
    GW_VALKEY_URL        shared limit counters (and the cache's exact entries, see docs/caching.md)
    GW_CACHE=0           no response cache
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.specs import CompiledGateway, LeafSpec, NodeSpec
from gateway.runtime import Components
from gateway.telemetry import Telemetry

__all__ = ["Wiring"]

_LOG = logging.getLogger("gw.app")
_RETIRE_AFTER_S = 120.0
"""How long a replaced config's guardrail engine stays open for requests still running on it."""
_WARM_UP_WAIT_S = 60.0
"""How long startup waits for the embedding model and the LanceDB table before serving anyway."""
_VALKEY_DOWN = {
    "local": "response cache bypassed; limits and budgets enforced per replica until Valkey answers",
    "fail_closed": "response cache bypassed; requests under a limit refused (503 limits_unavailable)",
}
_DATABASE_DOWN = "ledger rows spooled to disk and replayed; keys served from the verified cache (bounded)"


async def _probe(check: Any) -> bool:  # Any: an awaitable health check
    try:
        async with asyncio.timeout(1.0):
            await check
    except Exception:  # any failure means: not ready
        return False
    return True


class Wiring:
    """Builds and owns the components; `for_config` is the app's component factory."""

    def __init__(
        self, env: Mapping[str, str], *, config_root: Path | None, telemetry: Telemetry | None
    ) -> None:
        self.env = env
        self.config_root = config_root
        self.base = Components(telemetry=telemetry, require_keys=env.get("GW_REQUIRE_KEYS") == "1")
        self._store: Any = None  # Any: gateway.limits.LimitStore, built lazily with the first config
        self._journal: Any = None  # Any: gateway.limits.QueuedJournal
        self._storage: Any = None  # Any: gateway.storage.Storage
        self._valkey: Any = None  # Any: valkey.asyncio.Valkey
        self._retiring: set[asyncio.Task[None]] = set()
        self._engine: Any = None  # Any: the current config's gateway.guardrails.GuardrailEngine
        self._compiled: CompiledGateway | None = None
        self._warming: asyncio.Task[None] | None = None
        if env.get("GW_CACHE", "1") != "0":
            self.base.cache = self._open_cache()

    def _open_cache(self) -> Any:  # Any: gateway.cache.GatewayResponseCache
        try:
            from gateway.cache import CacheSettings, GatewayResponseCache

            telemetry = self.base.telemetry
            return GatewayResponseCache(
                CacheSettings.from_env(dict(self.env)),
                # Valkey or LanceDB going away (and back) shows on /metrics as gw_dependency_up.
                on_dependency=telemetry.dependency_changed if telemetry is not None else None,
            )
        except Exception as exc:  # a broken cache setup must not stop the gateway
            _LOG.warning("response cache disabled: %s", type(exc).__name__)
            return None

    def _limit_store(self, compiled: CompiledGateway) -> Any:  # Any: gateway.limits.LimitStore
        if self._store is None:
            from gateway.limits import link_store

            self._store = link_store(compiled, self._valkey_client())
        return self._store

    def _valkey_client(self) -> Any:  # Any: valkey.asyncio.Valkey, or None without GW_VALKEY_URL
        url = self.env.get("GW_VALKEY_URL")
        if url and self._valkey is None:
            import valkey.asyncio as valkey_asyncio

            # A read timeout flips the limiter to its `on_valkey_down` stand-in, whose counters start
            # empty: too short a timeout turns a busy CPU into admitted requests beyond the budget.
            # A Valkey that is really down refuses connections at once, so a generous read timeout
            # costs nothing in an outage.
            timeout = float(self.env.get("GW_VALKEY_TIMEOUT_S", "2.0"))
            self._valkey = valkey_asyncio.Valkey.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 0.5)
            )
        return self._valkey

    def for_config(self, compiled: CompiledGateway) -> Components:
        """The components for one compiled config (guardrails and limiter depend on it)."""
        self._compiled = compiled
        guardrails = None
        if compiled.guardrails or compiled.policy.header_configs:  # header configs bring inline ones
            from gateway.guardrails import GuardrailEngine

            guardrails = GuardrailEngine.from_compiled(compiled, config_root=self.config_root)
        limiter = None
        if compiled.budgets or self.base.keys is not None:
            from gateway.limits import link_limiter

            limiter = link_limiter(compiled, self._limit_store(compiled), journal=self._journal)
        previous, self._engine = self._engine, guardrails
        if previous is not None:
            self._retire(previous)
        self._warm_up_later(compiled)
        return dataclasses.replace(
            self.base, guardrails=guardrails, limiter=limiter, prices=self._prices(compiled, limiter)
        )

    @staticmethod
    def _prices(compiled: CompiledGateway, limiter: Any) -> Any:  # Any: gateway.limits types
        """Price a cache hit's saving the way settle prices a call (the limiter's calculator)."""
        if limiter is not None:
            return limiter.costs.cost
        from gateway.limits import CostCalculator

        return CostCalculator(compiled.pricing).cost

    def _warm_up_later(self, compiled: CompiledGateway) -> None:
        """A reload that brings the first semantic route loads the model in the background."""
        if self._warming is not None or not _uses_semantic_cache(compiled):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # linked before the loop started: `startup` warms up
            return
        self._warming = loop.create_task(self._warm_up())

    async def _warm_up(self) -> None:
        cache = self.base.cache
        if cache is None:
            return
        started = time.perf_counter()
        try:
            async with asyncio.timeout(_WARM_UP_WAIT_S):
                await cache.warm_up()  # type: ignore[attr-defined]
        except TimeoutError:  # e.g. a slow object store: serve now, lookups queue behind the load
            _LOG.warning("semantic cache still warming up after %.0f s; serving meanwhile", _WARM_UP_WAIT_S)
            return
        _LOG.info("semantic cache warmed up in %.2f s", time.perf_counter() - started)

    def _retire(self, engine: Any) -> None:  # Any: gateway.guardrails.GuardrailEngine
        async def close_later() -> None:
            await asyncio.sleep(_RETIRE_AFTER_S)
            await engine.aclose()

        try:
            task = asyncio.get_running_loop().create_task(close_later())
        except RuntimeError:  # linked before the loop started (startup): nothing in flight yet
            return
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def startup(self) -> None:
        """Load the embedding model (semantic routes only), open storage (when configured), start the
        spend journal and restore budget counters."""
        if self._compiled is not None and _uses_semantic_cache(self._compiled):
            # Before the first request, so no semantic lookup waits for the model (~1-3 s once).
            if self._warming is None:  # not already started by linking inside the running loop
                self._warming = asyncio.get_running_loop().create_task(self._warm_up())
            await self._warming
        if not self.env.get("GW_DATABASE_URL"):
            return
        from gateway.limits import QueuedJournal, current_starts
        from gateway.storage import open_storage

        self._storage = storage = await open_storage(environ=dict(self.env))
        self.base.keys = storage.keystore
        self.base.usage = storage.ledger
        self._journal = journal = QueuedJournal(storage.budgets.add)
        journal.start()
        if self._compiled is not None:
            # Counters live in the process-wide store: restoring through any limiter seeds them.
            from gateway.limits import link_limiter

            limiter = link_limiter(self._compiled, self._limit_store(self._compiled), journal=journal)
            starts = current_starts(time.time())
            rows = [row for start in starts for row in await storage.budgets.list_period(start)]
            await limiter.restore((row.scope_key, row.spent_usd) for row in rows)

    def storage(self) -> Any:  # Any: gateway.storage.Storage | None (imported lazily)
        """The storage handles opened at startup, or None (storage off, or not started yet)."""
        return self._storage

    async def readiness(self) -> dict[str, bool]:
        """Whether each required dependency answers: the database and Valkey, each only when the
        policy fails closed without it (otherwise `fallbacks` reports it and the replica stays ready)."""
        out: dict[str, bool] = {}
        compiled = self._compiled
        if (
            self._storage is not None
            and compiled is not None
            and compiled.policy.on_database_down == "fail_closed"
        ):
            out["database"] = await _probe(self._ping_database())
        if (
            self._valkey is not None
            and compiled is not None
            and compiled.policy.on_valkey_down == "fail_closed"
        ):
            out["valkey"] = await _probe(self._valkey.ping())
        return out

    async def fallbacks(self) -> dict[str, dict[str, Any]]:  # Any: JSON report
        """Each shared dependency: whether it answers, and what the gateway does while it does not
        (Valkey: the policy's `on_valkey_down`; PostgreSQL: the ledger spool and the key cache)."""
        out: dict[str, dict[str, Any]] = {}
        compiled = self._compiled
        client = self._valkey_client()
        if client is not None and compiled is not None:
            mode = compiled.policy.on_valkey_down
            out["valkey"] = {
                "up": await _probe(client.ping()),
                "on_down": _VALKEY_DOWN[mode],
                "policy": f"on_valkey_down: {mode}",
            }
        if self._storage is not None:
            out["database"] = {"up": await _probe(self._ping_database()), "on_down": _DATABASE_DOWN}
            if compiled is not None:
                out["database"]["policy"] = f"on_database_down: {compiled.policy.on_database_down}"
        return out

    async def _ping_database(self) -> None:
        from sqlalchemy import text

        async with self._storage.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def shutdown(self) -> None:
        """Flush and close everything this wiring opened."""
        for task in list(self._retiring):
            task.cancel()
        if self._engine is not None:
            await self._engine.aclose()
        if self._journal is not None:
            await self._journal.aclose()
        if self._storage is not None:
            await self._storage.aclose()
        await self.base.background.drain()  # cache stores of answers already sent
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
        cache = self.base.cache
        if cache is not None:
            await cache.close()  # type: ignore[attr-defined]
        if self._valkey is not None:
            await self._valkey.aclose()


def _uses_semantic_cache(compiled: CompiledGateway) -> bool:
    """Whether any manifest route caches semantically (header configs load the model on first use)."""

    def walk(node: NodeSpec) -> bool:
        if isinstance(node, LeafSpec):
            return node.cache is not None and node.cache.mode == "semantic"
        return any(walk(child) for child in node.targets)

    return any(walk(route.root) for route in compiled.routes)
