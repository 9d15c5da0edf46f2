"""Cost of `LedgerSink.record` on the request path, with the write-ahead log and without it.

    python bench/ledger.py [--rows 20000]

`record` converts the row to ledger columns, writes it ahead (one JSON line, one `write(2)` to the
process's segment file) and queues it in memory. The "without" figure replaces the write-ahead call
with a no-op, so the difference is what durability against SIGKILL costs per request. The writer
task is not started: only the caller's side is timed (the inserts happen off the request path).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from gateway.ports import UsageRecord
from gateway.storage.database import make_async_engine
from gateway.storage.ledger import LedgerSink
from gateway.usage import Usage


def _row(n: int) -> UsageRecord:
    return UsageRecord(
        trace_id=f"bench-{n:08d}",
        ts=time.time(),
        key_id="key_bench",
        route_id="chat",
        target_path="/targets/0",
        provider_id="openai_prod",
        model="gpt-4o-mini",
        usage=Usage(prompt_tokens=120, completion_tokens=40),
        cost_usd=0.000042,
        cache_status="MISS",
        status=200,
        latency_ms=3.2,
        config_hash="sha256:" + "ab" * 32,
    )


def _per_record_us(sink: LedgerSink, rows: list[UsageRecord]) -> float:
    started = time.perf_counter_ns()
    for row in rows:
        sink.record(row)
    return (time.perf_counter_ns() - started) / len(rows) / 1000


async def _measure(rows: int, repeats: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"with write-ahead": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_async_engine(f"sqlite:///{Path(tmp) / 'unused.db'}")
        batch = [_row(n) for n in range(rows)]
        for _ in range(repeats):
            for label in out:
                sink = LedgerSink(engine, Path(tmp) / f"{label}.jsonl", batch_size=rows + 1)
                if label == "without":
                    sink._ahead.write = lambda _row: None  # type: ignore[method-assign]
                out[label].append(_per_record_us(sink, batch))
                sink._ahead.close()
        await engine.dispose()
    return out


def main() -> None:
    """Print the median µs per `record` call for each variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.rows, args.repeats))
    for label, values in results.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{label:>17}: median {statistics.median(values):.2f} µs per record  (runs: {runs})")


if __name__ == "__main__":
    main()
