"""Response caching: exact (in-process LRU or Valkey) and semantic (fastembed + LanceDB), offline.

The executor drives `GatewayResponseCache` through the `gateway.ports.ResponseCache` protocol and
uses `replay_as_chunks` / `assemble_chunks` to serve hits to streaming requests and to cache streamed
responses. See docs/caching.md.
"""

from __future__ import annotations

from gateway.cache.counters import CacheCounters, CounterSnapshot
from gateway.cache.keys import exact_key, normalise_body, semantic_probe
from gateway.cache.replay import assemble_chunks, is_complete_response, replay_as_chunks
from gateway.cache.response_cache import GatewayResponseCache
from gateway.cache.settings import CacheSettings
from gateway.cache.verify import facts_agree

__all__ = [
    "CacheCounters",
    "CacheSettings",
    "CounterSnapshot",
    "GatewayResponseCache",
    "assemble_chunks",
    "exact_key",
    "facts_agree",
    "is_complete_response",
    "normalise_body",
    "replay_as_chunks",
    "semantic_probe",
]
