"""The exact cache against a real Valkey server: hits, TTL, isolation, and a server that dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from compiler.specs import CacheSpec
from gateway.cache import CacheSettings, GatewayResponseCache
from gateway.ports import CacheRequest
from tests.services import ValkeyServer

pytestmark = pytest.mark.integration


def _request(question: str, partition: str = "tenant-a", **kw: Any) -> CacheRequest:
    spec = kw.pop("spec", CacheSpec(mode="simple", max_age_s=60))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}], "temperature": 0}
    return CacheRequest(spec=spec, body=body, partition=partition, provider_id="openai", **kw)


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-v",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }


@pytest.fixture
async def cache(valkey_server: ValkeyServer) -> AsyncIterator[GatewayResponseCache]:
    c = GatewayResponseCache(CacheSettings(valkey_url=valkey_server.url, backoff_s=0))
    yield c
    await c.close()


async def test_miss_then_hit_through_valkey(cache: GatewayResponseCache, valkey_server: ValkeyServer) -> None:
    assert (await cache.lookup(_request("valkey hit?"))).status == "MISS"
    await cache.store(_request("valkey hit?"), _completion("yes"))
    hit = await cache.lookup(_request("valkey hit?"))
    assert hit.status == "HIT" and hit.response == _completion("yes")
    other = GatewayResponseCache(CacheSettings(valkey_url=valkey_server.url))
    assert (await other.lookup(_request("valkey hit?"))).status == "HIT"  # a second replica shares it
    await other.close()


async def test_entries_expire_after_max_age(cache: GatewayResponseCache) -> None:
    short = CacheSpec(mode="simple", max_age_s=1)
    await cache.store(_request("expiring", spec=short), _completion("soon gone"))
    assert (await cache.lookup(_request("expiring", spec=short))).status == "HIT"
    await asyncio.sleep(1.2)
    assert (await cache.lookup(_request("expiring", spec=short))).status == "MISS"


async def test_force_refresh_bypasses_the_read(cache: GatewayResponseCache) -> None:
    await cache.store(_request("refresh me"), _completion("old"))
    assert (await cache.lookup(_request("refresh me", force_refresh=True))).status == "REFRESH"
    await cache.store(_request("refresh me", force_refresh=True), _completion("new"))
    hit = await cache.lookup(_request("refresh me"))
    assert hit.response == _completion("new")


async def test_two_tenants_never_share_an_entry(cache: GatewayResponseCache) -> None:
    await cache.store(_request("shared prompt", partition="key-a"), _completion("for a"))
    assert (await cache.lookup(_request("shared prompt", partition="key-b"))).status == "MISS"
    await cache.store(_request("shared prompt", partition="key-b"), _completion("for b"))
    a = await cache.lookup(_request("shared prompt", partition="key-a"))
    b = await cache.lookup(_request("shared prompt", partition="key-b"))
    assert a.response == _completion("for a") and b.response == _completion("for b")


async def test_valkey_killed_mid_test_degrades_to_miss_then_recovers(
    cache: GatewayResponseCache, valkey_server: ValkeyServer
) -> None:
    await cache.store(_request("survives?"), _completion("before"))
    assert (await cache.lookup(_request("survives?"))).status == "HIT"
    valkey_server.stop()
    try:
        assert (await cache.lookup(_request("survives?"))).status == "MISS"
        await cache.store(_request("during outage"), _completion("lost"))  # a no-op, no exception
        assert (await cache.lookup(_request("during outage"))).status == "MISS"
        assert cache.counters.errors("exact") >= 3
    finally:
        valkey_server.start()
    await cache.store(_request("after restart"), _completion("back"))
    assert (await cache.lookup(_request("after restart"))).status == "HIT"
