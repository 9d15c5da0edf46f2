"""Deployment settings of the response cache (backends and bounds), read from the environment."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

__all__ = ["CacheSettings"]


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Where the cache keeps entries and how much; per-route behaviour comes from `CacheSpec`."""

    valkey_url: str | None = None
    """Exact entries go to Valkey (shared by replicas) when set; in-process LRU otherwise."""
    semantic_uri: str = "./var/semantic-cache"
    """LanceDB location: a local directory or an object-store URI (`s3://…`, `gs://…`, `az://…`)."""
    model_dir: str = "./var/models/all-minilm-l6-v2-int8"
    """Where the offline embedding model is laid out on first use."""
    max_entries: int = 10_000
    """In-process LRU bound on entries."""
    max_bytes: int = 256 * 1024 * 1024
    """In-process LRU bound on stored bytes."""
    max_entry_bytes: int = 1024 * 1024
    """Responses larger than this are not cached."""
    default_ttl_s: int = 86_400
    """TTL when the route's cache has no `max_age`."""
    backoff_s: float = 1.0
    """After a backend failure, skip that backend (answering MISS) for this long."""
    index_after: int = 50_000
    """Build the semantic table's IVF index once it holds this many rows."""
    optimize_every: int = 1_000
    """Compact the semantic table after this many appends."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CacheSettings:
        """Read `GW_VALKEY_URL`, `GW_SEMANTIC_CACHE_URI`, `GW_MODEL_DIR` and `GW_CACHE_MAX_*`."""
        base = cls()
        return cls(
            valkey_url=env.get("GW_VALKEY_URL") or None,
            semantic_uri=env.get("GW_SEMANTIC_CACHE_URI") or base.semantic_uri,
            model_dir=env.get("GW_MODEL_DIR") or base.model_dir,
            max_entries=int(env.get("GW_CACHE_MAX_ENTRIES") or base.max_entries),
            max_bytes=int(env.get("GW_CACHE_MAX_BYTES") or base.max_bytes),
        )
