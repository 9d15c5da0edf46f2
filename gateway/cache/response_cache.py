"""`GatewayResponseCache`: the `ResponseCache` port, exact first, then semantic.

    lookup: force_refresh → REFRESH
            exact key (memory or Valkey) → HIT
            semantic mode, eligible request → embed + LanceDB search + fact check → SEMANTIC HIT
            otherwise → MISS (simple mode) / SEMANTIC MISS (semantic mode)
    store:  only complete, successful responses; exact entry, plus a vector row in semantic mode

It never raises to the executor: a failing backend (Valkey down, LanceDB unreachable, model files
missing) makes lookups MISS and stores no-ops, is logged as a warning and counted, and is skipped for
`backoff_s` so a dead backend costs nothing per request. Embedding and LanceDB calls run on one
worker thread, never on the event loop; table maintenance (compaction, index builds) runs on another,
so it never delays a lookup. `warm_up()` loads the model and opens the table ahead of traffic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgspec

from gateway.cache.counters import CacheCounters
from gateway.cache.embedder import Embedder, ModelUnavailable
from gateway.cache.keys import SemanticProbe, exact_key, semantic_probe
from gateway.cache.memory import MemoryStore
from gateway.cache.replay import is_complete_response
from gateway.cache.semantic import SemanticIndex
from gateway.cache.settings import CacheSettings
from gateway.cache.valkey_store import ValkeyStore
from gateway.ports import CacheLookup, CacheRequest

__all__ = ["ExactStore", "GatewayResponseCache"]

_log = logging.getLogger(__name__)
_DECODER = msgspec.json.Decoder(dict[str, Any])  # Any: OpenAI JSON
_ENCODER = msgspec.json.Encoder()
_PENDING_VECTORS = 1024
_T = TypeVar("_T")


class ExactStore(Protocol):
    """A key → bytes store with TTLs (in-process LRU or Valkey)."""

    async def get(self, key: str) -> bytes | None:
        """Return the value or None."""
        ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store a value for ttl_s seconds."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class _Backoff:
    """Remembers a backend failure and says when to try the backend again."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._until = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self._until

    def failed(self) -> None:
        self._until = time.monotonic() + self._seconds


class GatewayResponseCache:
    """Exact and semantic response cache behind the executor's `ResponseCache` port."""

    def __init__(
        self,
        settings: CacheSettings | None = None,
        *,
        exact: ExactStore | None = None,
        semantic: SemanticIndex | None = None,
        on_dependency: Callable[[str, bool], None] | None = None,
    ) -> None:
        """`on_dependency(name, up)` hears when Valkey (`valkey`) or LanceDB (`lancedb`) stops or
        starts answering (transitions only), e.g. `Telemetry.dependency_changed`."""
        self.settings = settings = settings or CacheSettings()
        self._on_dependency = on_dependency
        self._down: set[str] = set()
        self.counters = CacheCounters()
        if exact is None:
            exact = (
                ValkeyStore(settings.valkey_url)
                if settings.valkey_url
                else MemoryStore(max_entries=settings.max_entries, max_bytes=settings.max_bytes)
            )
        self._exact = exact
        self._exact_name = "valkey" if isinstance(exact, ValkeyStore) else "exact"
        self._semantic = semantic or SemanticIndex(
            settings.semantic_uri,
            Embedder(Path(settings.model_dir)),
            index_after=settings.index_after,
            optimize_every=settings.optimize_every,
        )
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gw-semantic")
        self._maintenance = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gw-semantic-maint")
        self._maintaining: Future[None] | None = None
        self._exact_backoff = _Backoff(settings.backoff_s)
        self._semantic_backoff = _Backoff(settings.backoff_s)
        self._semantic_broken = False
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()

    async def lookup(self, request: CacheRequest) -> CacheLookup:
        """Find a stored response for the request; MISS on any failure, never raises."""
        try:
            result = await self._lookup(request)
        except Exception as exc:  # the cache must never fail a request
            _log.warning("response cache lookup failed (%s); serving uncached", type(exc).__name__)
            self.counters.error("lookup")
            result = CacheLookup(status="SEMANTIC MISS" if request.spec.mode == "semantic" else "MISS")
        self.counters.lookup(request.route_id, request.spec.mode, result.status)
        return result

    async def _lookup(self, request: CacheRequest) -> CacheLookup:
        mode = request.spec.mode
        if request.force_refresh:
            return CacheLookup(status="REFRESH")
        try:
            key = exact_key(request.body, request.partition, request.provider_id)
        except (TypeError, msgspec.EncodeError):
            return CacheLookup(status="DISABLED")
        raw = await self._exact_get(key)
        if raw is not None:
            return CacheLookup(status="HIT", response=_DECODER.decode(raw))
        if mode != "semantic":
            return CacheLookup(status="MISS")
        probe = semantic_probe(request.body, request.partition, request.provider_id)
        if probe is not None:
            found = await self._semantic_call(self._search, key, probe, request.spec.threshold)
            if found is not None:
                response, similarity = found
                decoded = _DECODER.decode(response)
                return CacheLookup(status="SEMANTIC HIT", response=decoded, similarity=similarity)
        return CacheLookup(status="SEMANTIC MISS")

    async def store(self, request: CacheRequest, response: dict[str, Any]) -> None:  # Any: OpenAI JSON
        """Store a successful, complete response (anything else is ignored); never raises.

        It waits for the semantic row to be written (a few ms): callers that must not wait run it as
        a task.
        """
        try:
            await self._store(request, response)
        except Exception as exc:  # the cache must never fail a request
            _log.warning("response cache store failed (%s)", type(exc).__name__)
            self.counters.error("store")

    async def _store(self, request: CacheRequest, response: dict[str, Any]) -> None:  # Any: OpenAI JSON
        if not is_complete_response(response):
            return
        try:
            key = exact_key(request.body, request.partition, request.provider_id)
            data = _ENCODER.encode(response)
        except (TypeError, msgspec.EncodeError):
            return
        if len(data) > self.settings.max_entry_bytes:
            return
        ttl = float(request.spec.max_age_s or self.settings.default_ttl_s)
        await self._exact_set(key, data, ttl)
        if request.spec.mode == "semantic" and response.get("object") == "chat.completion":
            probe = semantic_probe(request.body, request.partition, request.provider_id)
            if probe is not None:
                await self._semantic_call(self._add, key, probe, data, ttl, request.force_refresh)
        self.counters.stored(request.route_id, request.spec.mode)

    async def warm_up(self) -> None:
        """Load the embedding model and open the LanceDB table now rather than on the first lookup."""
        await self._semantic_call(self._warm)

    def _warm(self) -> None:
        self._semantic.embedder.load()
        self._semantic.open()

    async def close(self) -> None:
        """Close the Valkey pool and stop the worker threads (waiting for running maintenance)."""
        try:
            await self._exact.close()
        except Exception:  # closing a dead connection must not fail shutdown
            _log.debug("closing the exact cache backend failed", exc_info=True)
        self._worker.shutdown(wait=True)
        self._maintenance.shutdown(wait=True)

    # ------------------------------------------------------------------ internals

    async def _exact_get(self, key: str) -> bytes | None:
        if not self._exact_backoff.ready():
            return None
        try:
            value = await self._exact.get(key)
        except Exception as exc:  # any backend failure degrades to a miss
            self._exact_failed("lookup", exc)
            return None
        self._answered(self._exact_name)
        return value

    async def _exact_set(self, key: str, data: bytes, ttl: float) -> None:
        if not self._exact_backoff.ready():
            return
        try:
            await self._exact.set(key, data, ttl)
        except Exception as exc:  # any backend failure makes the store a no-op
            self._exact_failed("store", exc)
        else:
            self._answered(self._exact_name)

    def _exact_failed(self, action: str, exc: Exception) -> None:
        self._exact_backoff.failed()
        self.counters.error("exact")
        self._failed(self._exact_name)
        _log.warning("response cache %s failed (%s); serving uncached", action, type(exc).__name__)

    async def _semantic_call(self, fn: Callable[..., _T], *args: object) -> _T | None:
        if self._semantic_broken or not self._semantic_backoff.ready():
            return None
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)
        except ModelUnavailable as exc:
            self._semantic_broken = True
            self.counters.error("semantic")
            _log.warning("semantic cache disabled: %s", exc)
        except Exception as exc:  # LanceDB or model failure degrades to a miss
            self._semantic_backoff.failed()
            self.counters.error("semantic")
            self._failed("lancedb")
            _log.warning("semantic cache failed (%s: %.200s); serving uncached", type(exc).__name__, exc)
        else:
            self._answered("lancedb")
            return result
        return None

    def _failed(self, dependency: str) -> None:
        if dependency not in self._down:
            self._down.add(dependency)
            if self._on_dependency is not None:
                self._on_dependency(dependency, False)

    def _answered(self, dependency: str) -> None:
        if dependency in self._down:
            self._down.discard(dependency)
            if self._on_dependency is not None:
                self._on_dependency(dependency, True)

    def _search(self, key: str, probe: SemanticProbe, threshold: float) -> tuple[bytes, float] | None:
        vector = self._semantic.embed(probe.text)
        self._vectors[key] = vector
        while len(self._vectors) > _PENDING_VECTORS:
            self._vectors.popitem(last=False)
        match = self._semantic.search(probe, vector, threshold)
        return None if match is None else (match.response, match.similarity)

    def _add(self, key: str, probe: SemanticProbe, data: bytes, ttl: float, replace: bool) -> None:
        vector = self._vectors.pop(key, None) or self._semantic.embed(probe.text)
        due = self._semantic.add(probe, vector, data, ttl, replace=replace)
        if due and (self._maintaining is None or self._maintaining.done()):
            self._maintaining = self._maintenance.submit(self._maintain)

    def _maintain(self) -> None:
        try:
            self._semantic.maintain()
        except Exception as exc:  # maintenance failing leaves a slower table, never a failed request
            self.counters.error("semantic")
            _log.warning("semantic cache maintenance failed (%s: %.200s)", type(exc).__name__, exc)
