"""The semantic cache with the real offline model and a real LanceDB table."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from compiler.specs import CacheSpec
from gateway.cache import CacheSettings, GatewayResponseCache
from gateway.cache.embedder import DIMENSIONS, Embedder
from gateway.cache.keys import semantic_probe
from gateway.cache.semantic import SemanticIndex
from gateway.ports import CacheRequest

pytestmark = pytest.mark.integration

SEMANTIC = CacheSpec(mode="semantic", max_age_s=60, threshold=0.85)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    model = Embedder(tmp_path_factory.mktemp("model"))
    model.load()
    return model


def _cache(embedder: Embedder, uri: Path | str, **settings: Any) -> GatewayResponseCache:
    index = SemanticIndex(str(uri), embedder, **settings)
    return GatewayResponseCache(CacheSettings(backoff_s=0), semantic=index)


@pytest.fixture
async def cache(embedder: Embedder, tmp_path: Path) -> AsyncIterator[GatewayResponseCache]:
    c = _cache(embedder, tmp_path / "lance")
    yield c
    await c.close()


def _request(
    question: str, *, system: str = "Be brief.", partition: str = "tenant-a", **kw: Any
) -> CacheRequest:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
    }
    return CacheRequest(
        spec=kw.pop("spec", SEMANTIC), body=body, partition=partition, provider_id="openai", **kw
    )


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


async def test_paraphrase_is_a_semantic_hit_with_its_similarity(cache: GatewayResponseCache) -> None:
    assert (await cache.lookup(_request("What is the capital of France?"))).status == "SEMANTIC MISS"
    await cache.store(_request("What is the capital of France?"), _completion("Paris."))
    hit = await cache.lookup(_request("what's the capital city of France?"))
    assert hit.status == "SEMANTIC HIT"
    assert hit.response == _completion("Paris.")
    assert hit.similarity is not None and SEMANTIC.threshold <= hit.similarity <= 1.0
    assert (await cache.lookup(_request("What is the capital of France?"))).status == "HIT"


async def test_near_misses_are_semantic_misses(cache: GatewayResponseCache) -> None:
    await cache.store(_request("What is the capital of France?"), _completion("Paris."))
    await cache.store(_request("What is 2+2?"), _completion("4"))
    for question in ("What is the capital of Germany?", "What is 2+3?", "What isn't the capital of France?"):
        assert (await cache.lookup(_request(question))).status == "SEMANTIC MISS", question


async def test_other_system_prompt_or_tenant_never_matches(cache: GatewayResponseCache) -> None:
    await cache.store(_request("How do I reset my password?"), _completion("Click 'forgot'."))
    other_system = _request("How can I reset my password?", system="Answer in French.")
    other_tenant = _request("How can I reset my password?", partition="tenant-b")
    assert (await cache.lookup(other_system)).status == "SEMANTIC MISS"
    assert (await cache.lookup(other_tenant)).status == "SEMANTIC MISS"
    assert (await cache.lookup(_request("How can I reset my password?"))).status == "SEMANTIC HIT"


async def test_popular_prompt_cached_by_many_tenants_still_hits_in_each(cache: GatewayResponseCache) -> None:
    for i in range(14):  # more tenants than one unfiltered search returns, all nearer than ours
        await cache.store(
            _request("What's the capital city of France?", partition=f"t{i}"), _completion(f"t{i}")
        )
    await cache.store(_request("What is the capital of France?", partition="mine"), _completion("mine"))
    hit = await cache.lookup(_request("What's the capital city of France?", partition="mine"))
    assert hit.status == "SEMANTIC HIT" and hit.response == _completion("mine")
    miss = await cache.lookup(_request("What's the capital city of France?", partition="nobody"))
    assert miss.status == "SEMANTIC MISS"


async def test_semantic_entries_expire(cache: GatewayResponseCache) -> None:
    short = CacheSpec(mode="semantic", max_age_s=1, threshold=0.85)
    await cache.store(_request("Who wrote Hamlet?", spec=short), _completion("Shakespeare."))
    assert (await cache.lookup(_request("Who is the author of Hamlet?", spec=short))).status == "SEMANTIC HIT"
    await asyncio.sleep(1.2)
    assert (
        await cache.lookup(_request("Who is the author of Hamlet?", spec=short))
    ).status == "SEMANTIC MISS"


async def test_force_refresh_skips_semantic_read(cache: GatewayResponseCache) -> None:
    await cache.store(_request("Who wrote Hamlet?"), _completion("Shakespeare."))
    refresh = await cache.lookup(_request("Who is the author of Hamlet?", force_refresh=True))
    assert refresh.status == "REFRESH"


async def test_force_refresh_replaces_the_semantic_entry(cache: GatewayResponseCache) -> None:
    await cache.store(_request("Who wrote Hamlet?"), _completion("old answer"))
    await cache.store(_request("Who wrote Hamlet?", force_refresh=True), _completion("new answer"))
    for _ in range(3):
        hit = await cache.lookup(_request("Who is the author of Hamlet?"))
        assert hit.status == "SEMANTIC HIT" and hit.response == _completion("new answer")


async def test_background_maintenance_compacts_without_breaking_lookups(
    embedder: Embedder, tmp_path: Path
) -> None:
    cache = _cache(embedder, tmp_path / "lance", optimize_every=3)
    questions = ["How do I bake bread?", "Who painted Guernica?", "What is a monad?", "Why is the sea salty?"]
    for q in questions:
        await cache.store(_request(q), _completion(q))
    assert (await cache.lookup(_request("Who was the painter of Guernica?"))).status == "SEMANTIC HIT"
    await cache.close()  # waits for the maintenance thread
    assert cache.counters.errors("semantic") == 0


async def test_warm_up_loads_the_model_and_table_ahead_of_traffic(embedder: Embedder, tmp_path: Path) -> None:
    cache = _cache(embedder, tmp_path / "lance")
    await cache.warm_up()
    assert cache.counters.errors("semantic") == 0
    await cache.close()


async def test_unreachable_lancedb_degrades_to_miss(embedder: Embedder, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the table directory should be")
    cache = _cache(embedder, blocker / "lance")
    await cache.store(_request("What is the capital of France?"), _completion("Paris."))
    assert (await cache.lookup(_request("Which city is the capital of France?"))).status == "SEMANTIC MISS"
    assert (
        await cache.lookup(_request("What is the capital of France?"))
    ).status == "HIT"  # exact still works
    assert cache.counters.errors("semantic") >= 1
    await cache.close()


async def test_weights_failing_their_checksum_disable_semantic_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.cache.embedder.MODEL_SHA256", "0" * 64)
    cache = _cache(Embedder(tmp_path / "model"), tmp_path / "lance")
    await cache.store(_request("What is the capital of France?"), _completion("Paris."))
    assert (await cache.lookup(_request("Which city is the capital of France?"))).status == "SEMANTIC MISS"
    assert (await cache.lookup(_request("What is the capital of France?"))).status == "HIT"
    assert cache.counters.errors("semantic") == 1  # disabled after the first failure, not retried
    await cache.close()


def test_large_table_gets_an_ivf_index_and_still_finds_the_row(embedder: Embedder, tmp_path: Path) -> None:
    index = SemanticIndex(str(tmp_path / "lance"), embedder, index_after=500)
    probe = semantic_probe(_request("How do I bake sourdough bread?").body, "tenant-a", "openai")
    assert probe is not None
    rng = random.Random(5)
    noise = []
    for i in range(800):
        v = [rng.gauss(0, 1) for _ in range(DIMENSIONS)]
        norm = sum(x * x for x in v) ** 0.5
        noise.append(
            {
                "context": probe.context,
                "text": f"noise {i}",
                "vector": [x / norm for x in v],
                "response": b"{}",
                "expires_at": 4e9,
            }
        )
    index.add_many(noise)
    index.add(probe, index.embed(probe.text), b'{"answer": 1}', 60)
    index.maintain()
    assert index.indexed
    reopened = SemanticIndex(str(tmp_path / "lance"), embedder)
    reopened.open()
    assert reopened.indexed and reopened.rows == 801
    query = semantic_probe(_request("What's the way to bake sourdough bread?").body, "tenant-a", "openai")
    assert query is not None
    match = index.search(query, index.embed(query.text), 0.85)
    assert match is not None and match.response == b'{"answer": 1}'
