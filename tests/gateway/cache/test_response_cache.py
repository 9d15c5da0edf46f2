"""GatewayResponseCache with the in-process backend: statuses, isolation, safety, failure."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from compiler.specs import CacheSpec
from gateway.cache import CacheSettings, GatewayResponseCache
from gateway.ports import CacheRequest

SIMPLE = CacheSpec(mode="simple", max_age_s=60)


def _request(question: str = "What is 2+2?", partition: str = "tenant-a", **kw: Any) -> CacheRequest:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}]}
    return CacheRequest(
        spec=kw.pop("spec", SIMPLE), body=body, partition=partition, provider_id="openai", **kw
    )


def _completion(text: str = "4") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


@pytest.fixture
async def cache() -> Any:
    c = GatewayResponseCache(CacheSettings())
    yield c
    await c.close()


async def test_miss_then_hit_returns_the_stored_body(cache: GatewayResponseCache) -> None:
    assert (await cache.lookup(_request())).status == "MISS"
    await cache.store(_request(), _completion())
    hit = await cache.lookup(_request())
    assert hit.status == "HIT" and hit.response == _completion()


async def test_a_hit_is_a_fresh_copy_the_caller_may_mutate(cache: GatewayResponseCache) -> None:
    await cache.store(_request(), _completion())
    first = await cache.lookup(_request())
    assert first.response is not None
    first.response["choices"][0]["message"]["content"] = "changed"
    second = await cache.lookup(_request())
    assert second.response == _completion()


async def test_same_prompt_in_another_partition_is_a_miss(cache: GatewayResponseCache) -> None:
    await cache.store(_request(partition="tenant-a"), _completion())
    assert (await cache.lookup(_request(partition="tenant-b"))).status == "MISS"
    assert (await cache.lookup(_request(partition="tenant-a/ns-1"))).status == "MISS"


async def test_force_refresh_skips_the_read_but_still_stores(cache: GatewayResponseCache) -> None:
    await cache.store(_request(), _completion("old"))
    refresh = await cache.lookup(_request(force_refresh=True))
    assert refresh.status == "REFRESH" and refresh.response is None
    await cache.store(_request(force_refresh=True), _completion("new"))
    hit = await cache.lookup(_request())
    assert hit.response is not None and hit.response["choices"][0]["message"]["content"] == "new"


async def test_errors_and_truncated_responses_are_never_stored(cache: GatewayResponseCache) -> None:
    truncated = _completion()
    truncated["choices"][0]["finish_reason"] = None
    await cache.store(_request(), truncated)
    await cache.store(_request(), {"error": {"message": "upstream 500"}})
    assert (await cache.lookup(_request())).status == "MISS"


async def test_oversized_responses_are_not_stored() -> None:
    cache = GatewayResponseCache(CacheSettings(max_entry_bytes=100))
    await cache.store(_request(), _completion("x" * 200))
    assert (await cache.lookup(_request())).status == "MISS"
    await cache.close()


async def test_counters_by_route_mode_and_status(cache: GatewayResponseCache) -> None:
    await cache.lookup(_request(route_id="chat"))
    await cache.store(_request(route_id="chat"), _completion())
    await cache.lookup(_request(route_id="chat"))
    await cache.lookup(_request(route_id="chat"))
    assert cache.counters.count("chat", "simple", "MISS") == 1
    assert cache.counters.count("chat", "simple", "HIT") == 2
    assert ("chat", "simple", 1) in cache.counters.snapshot().stores


class _BrokenStore:
    async def get(self, key: str) -> bytes | None:
        raise ConnectionError("down")

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        raise ConnectionError("down")

    async def close(self) -> None:
        raise ConnectionError("down")


async def test_failing_backend_degrades_to_miss_logs_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    cache = GatewayResponseCache(CacheSettings(backoff_s=0), exact=_BrokenStore())
    with caplog.at_level(logging.WARNING, logger="gateway.cache"):
        assert (await cache.lookup(_request())).status == "MISS"
        await cache.store(_request(), _completion())
    assert cache.counters.errors("exact") == 2
    assert any("serving uncached" in r.message for r in caplog.records)
    await cache.close()


async def test_unencodable_body_is_reported_disabled_not_raised(cache: GatewayResponseCache) -> None:
    req = _request()
    req.body["messages"] = [{"role": "user", "content": object()}]
    assert (await cache.lookup(req)).status == "DISABLED"
