"""Semantic cache quality: precision and recall on labelled prompt pairs.

Each line of bench/data/cache_pairs.jsonl is `{"a", "b", "label": "hit"|"miss", "kind", "split"}`:
`kind` is `paraphrase` (should hit) or a near miss that must not: `entity`, `number`, `negation`,
`language`, `related` (same topic, different question). `split` is `dev` (the pairs the fact check
and the default threshold were tuned on) or `holdout` (written afterwards, never tuned on). For each
pair, `a` is stored and `b` looked up in a fresh partition, through the real `GatewayResponseCache`
(offline model, LanceDB in a temp dir).

    python bench/cache_quality.py            # end-to-end at the shipped default threshold + sweep
    python bench/cache_quality.py --json     # machine-readable summary

The sweep recomputes the same decision (cosine ≥ t and the fact check) from the vectors for a range
of thresholds, with and without the fact check, to show why the default is where it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from compiler.specs import CacheSpec
from gateway.cache import CacheSettings, GatewayResponseCache, facts_agree
from gateway.cache.embedder import Embedder
from gateway.cache.semantic import SemanticIndex
from gateway.ports import CacheRequest

DATA = Path(__file__).parent / "data" / "cache_pairs.jsonl"
DEFAULT = CacheSpec(mode="semantic").threshold


def _load() -> list[dict[str, str]]:
    return [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]


def _request(text: str, partition: str, threshold: float) -> CacheRequest:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    spec = CacheSpec(mode="semantic", max_age_s=3600, threshold=threshold)
    return CacheRequest(spec=spec, body=body, partition=partition, provider_id="openai", route_id="bench")


def _completion(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": f"answer to: {text}"}
    return {
        "id": "b",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _scores(decisions: list[tuple[bool, dict[str, str]]]) -> dict[str, Any]:
    tp = sum(hit and p["label"] == "hit" for hit, p in decisions)
    fp = sum(hit and p["label"] == "miss" for hit, p in decisions)
    positives = sum(p["label"] == "hit" for _, p in decisions)
    false_hits = Counter(p["kind"] for hit, p in decisions if hit and p["label"] == "miss")
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / positives if positives else 0.0,
        "hits": tp + fp,
        "false_hits": dict(false_hits),
    }


async def end_to_end(pairs: list[dict[str, str]], embedder: Embedder, threshold: float) -> dict[str, Any]:
    """Store `a`, look up `b`, per pair in its own partition, through the real cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = GatewayResponseCache(CacheSettings(), semantic=SemanticIndex(tmp, embedder))
        decisions = []
        examples = []
        for i, pair in enumerate(pairs):
            await cache.store(_request(pair["a"], f"p{i}", threshold), _completion(pair["a"]))
            found = await cache.lookup(_request(pair["b"], f"p{i}", threshold))
            hit = found.status in ("HIT", "SEMANTIC HIT")
            decisions.append((hit, pair))
            if hit != (pair["label"] == "hit") and len(examples) < 12:
                examples.append({**pair, "similarity": found.similarity})
        await cache.close()
    return {**_scores(decisions), "threshold": threshold, "errors": examples}


def sweep(pairs: list[dict[str, str]], embedder: Embedder) -> list[dict[str, Any]]:
    """Precision/recall for thresholds 0.76–0.98, with and without the fact check."""
    va = embedder.embed([p["a"] for p in pairs])
    vb = embedder.embed([p["b"] for p in pairs])
    sims = [sum(x * y for x, y in zip(a, b, strict=True)) for a, b in zip(va, vb, strict=True)]
    agree = [facts_agree(p["b"], p["a"], s) for p, s in zip(pairs, sims, strict=True)]
    rows = []
    for t in [0.76 + 0.02 * i for i in range(12)]:
        with_check = [(s >= t and ok, p) for s, ok, p in zip(sims, agree, pairs, strict=True)]
        vector_only = [(s >= t, p) for s, p in zip(sims, pairs, strict=True)]
        rows.append(
            {"threshold": round(t, 2), "checked": _scores(with_check), "vector_only": _scores(vector_only)}
        )
    return rows


def _report(name: str, result: dict[str, Any], table: list[dict[str, Any]], elapsed: float) -> None:
    print(
        f"[{name}] end to end at threshold {result['threshold']}: precision {result['precision']:.3f} "
        f"recall {result['recall']:.3f} ({result['hits']} hits, false hits {result['false_hits']}, "
        f"{elapsed:.1f} s)"
    )
    for e in result["errors"]:
        print(f"  wrong: {e['kind']:<10} sim={e['similarity']} {e['a']!r} ~ {e['b']!r}")
    print(f"[{name}] threshold  precision recall (with fact check)   precision recall (vector only)")
    for row in table:
        c, v = row["checked"], row["vector_only"]
        print(
            f"  {row['threshold']:.2f}       {c['precision']:.3f}    {c['recall']:.3f}"
            f"                    {v['precision']:.3f}    {v['recall']:.3f}"
        )


def main() -> None:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pairs = _load()
    splits = {"all": pairs} | {s: [p for p in pairs if p.get("split") == s] for s in ("dev", "holdout")}
    summary = {}
    with tempfile.TemporaryDirectory() as model_dir:
        embedder = Embedder(Path(model_dir))
        embedder.load()
        for name, subset in splits.items():
            started = time.perf_counter()
            result = asyncio.run(end_to_end(subset, embedder, args.threshold))
            summary[name] = (result, sweep(subset, embedder), time.perf_counter() - started)
    if args.json:
        print(json.dumps({k: {"end_to_end": r, "sweep": t} for k, (r, t, _) in summary.items()}, indent=2))
        return
    kinds = Counter((p.get("split"), p["kind"]) for p in pairs)
    print(f"{len(pairs)} pairs: {dict(sorted(kinds.items()))}")
    for name, (result, table, elapsed) in summary.items():
        _report(name, result, table, elapsed)


if __name__ == "__main__":
    main()
