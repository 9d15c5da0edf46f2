"""Soak: `gw serve` at a steady request rate for a bounded time, with streaming, the response cache and
guardrails on. Watches for slow leaks and tail drift rather than peak speed.

Open loop: requests start on a fixed schedule (`--rate` per second) whatever the latency, half of them
streaming; prompts come from a pool (`--pool`) so the exact cache sees hits and misses; the route has
an input guardrail (deny a word that 1 prompt in 20 carries: an expected 446) and an output PII
redaction.
gw's RSS is sampled every 2 s; latency percentiles and errors are reported per window.

    python bench/soak.py --duration 600 --warmup 60 --rate 40      # the real run (quiet machine)
    python bench/soak.py --duration 120 --warmup 30 --label smoke   # smoke
    python bench/soak.py ... --ledger     # with the usage ledger (SQLite) on: rows must equal answers

Reports (JSON + Markdown under bench/results/soak-<label>.*): RSS after warm-up and at the end (growth
in %), errors (status other than 200/446, exceptions, a stream without `[DONE]`), p50/p99 per window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_config(directory: Path, upstream_port: int) -> None:
    (directory / "gateway.yaml").write_text(
        f"kind: provider\nid: up\ntype: openai-compatible\nbase_url: http://127.0.0.1:{upstream_port}/v1\n"
        "---\nkind: route\nid: soak\nprovider: up\ncache: {mode: simple, max_age: 120}\n"
        "input_guardrails: [no_secret_word]\noutput_guardrails: [no_email]\n"
        "---\nkind: guardrail\nid: no_secret_word\napplies_to: [input]\naction: deny\nchecks:\n"
        "  - type: default.contains\n    parameters: {operator: none, words: [swordfish]}\n"
        "---\nkind: guardrail\nid: no_email\napplies_to: [output]\naction: redact\nchecks:\n"
        "  - type: pii\n    parameters: {kinds: [email]}\n"
    )


def body(rng: random.Random, pool: int) -> tuple[bytes, bool, bool]:
    """A request body, whether it streams, whether the input guardrail should deny it."""
    n = rng.randrange(pool)
    denied = n % 20 == 0
    text = f"question {n}: tell me about foxes" + (" and swordfish" if denied else "")
    stream = rng.random() < 0.5
    payload = {"model": "bench-model", "stream": stream, "messages": [{"role": "user", "content": text}]}
    return json.dumps(payload).encode(), stream, denied


async def one(
    session: aiohttp.ClientSession, url: str, rng: random.Random, pool: int, sink: list[tuple]
) -> None:
    payload, stream, denied = body(rng, pool)
    started = time.perf_counter()
    ok = False
    status = 0
    cache = "-"
    try:
        async with session.post(url, data=payload, headers={"x-portkey-config": "soak"}) as resp:
            status = resp.status
            cache = resp.headers.get("x-portkey-cache-status", "-")
            data = await resp.read()
            if stream and status == 200:
                ok = data.rstrip().endswith(b"data: [DONE]")
            else:
                ok = status == (446 if denied else 200)
    except (TimeoutError, aiohttp.ClientError):
        ok = False
    sink.append((started, time.perf_counter() - started, ok, status, cache))


async def drive(url: str, rate: float, duration: float, seed: int, pool: int) -> list[tuple]:
    """Start `rate` requests per second for `duration` seconds; wait for all; return the samples."""
    rng = random.Random(seed)
    sink: list[tuple] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=512)) as session:
        tasks: set[asyncio.Task[None]] = set()
        begin = time.perf_counter()
        for i in range(int(rate * duration)):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(session, url, rng, pool, sink))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return sink


async def sample_rss(pid: int, out: list[tuple[float, float]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        out.append((time.perf_counter(), rss_mb(pid)))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(samples: list[tuple], rss: list[tuple[float, float]], args: argparse.Namespace) -> dict:
    begin = min(s[0] for s in samples)
    windows = []
    for start in range(0, int(args.duration), int(args.window)):
        inside = [s for s in samples if start <= s[0] - begin < start + args.window]
        lat = [s[1] * 1000 for s in inside]
        windows.append(
            {
                "t_s": start,
                "requests": len(inside),
                "errors": sum(1 for s in inside if not s[2]),
                "p50_ms": round(pct(lat, 0.50), 1),
                "p99_ms": round(pct(lat, 0.99), 1),
            }
        )
    warm = [mb for t, mb in rss if t - begin >= args.warmup]
    rss_warm, rss_end = (warm[0], warm[-1]) if warm else (0.0, 0.0)
    steady = [w for w in windows if w["t_s"] >= args.warmup]
    return {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rate_per_s": args.rate,
        "requests": len(samples),
        "errors": sum(1 for s in samples if not s[2]),
        "statuses": {str(k): sum(1 for s in samples if s[3] == k) for k in sorted({s[3] for s in samples})},
        "cache": {k: sum(1 for s in samples if s[4] == k) for k in sorted({s[4] for s in samples})},
        "rss_mb_after_warmup": round(rss_warm, 1),
        "rss_mb_end": round(rss_end, 1),
        "rss_mb_max": round(max((mb for _, mb in rss), default=0.0), 1),
        "rss_growth_pct": round(100 * (rss_end - rss_warm) / rss_warm, 2) if rss_warm else None,
        "p99_ms_first_steady_window": steady[0]["p99_ms"] if steady else None,
        "p99_ms_last_window": steady[-1]["p99_ms"] if steady else None,
        "p99_ms_max_steady": max((w["p99_ms"] for w in steady), default=None),
        "load_avg_1m_at_end": os.getloadavg()[0],
        "windows": windows,
    }


def markdown(label: str, result: dict) -> str:
    lines = [
        f"# Soak `{label}`: {result['duration_s']} s at {result['rate_per_s']}/s "
        f"(warm-up {result['warmup_s']} s)",
        "",
        f"- requests {result['requests']}, errors {result['errors']}, statuses {result['statuses']}",
        f"- cache status (x-portkey-cache-status) {result['cache']}",
        f"- RSS after warm-up {result['rss_mb_after_warmup']} MB, at end {result['rss_mb_end']} MB "
        f"(growth {result['rss_growth_pct']} %), max {result['rss_mb_max']} MB",
        f"- p99 first steady window {result['p99_ms_first_steady_window']} ms, last "
        f"{result['p99_ms_last_window']} ms, max {result['p99_ms_max_steady']} ms",
        f"- load average (1 min) at the end: {result['load_avg_1m_at_end']:.2f}",
        *(
            [f"- usage ledger: {result['ledger_rows']} rows for {result['answered']} answered requests"]
            if "ledger_rows" in result
            else []
        ),
        "",
        "| t (s) | requests | errors | p50 ms | p99 ms |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {w['t_s']} | {w['requests']} | {w['errors']} | {w['p50_ms']} | {w['p99_ms']} |"
        for w in result["windows"]
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests started per second")
    parser.add_argument("--window", type=float, default=10.0, help="report window (s)")
    parser.add_argument("--label", default="run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pool", type=int, default=3000, help="distinct prompts (cache hit/miss mix)")
    parser.add_argument("--ledger", action="store_true", help="usage ledger on (SQLite), rows checked")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gw-soak-"))
    up_port, gw_port = free_port(), free_port()
    write_config(tmp, up_port)
    upstream = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "fake_upstream.py"), "--port", str(up_port), "--chunks", "8"],
        stdout=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GW_")}
    env["GW_SEMANTIC_CACHE_URI"] = str(tmp / "semantic")
    database = tmp / "gw.db"
    if args.ledger:
        env["GW_DATABASE_URL"] = f"sqlite:///{database}"
        env["GW_USAGE_SPOOL"] = str(tmp / "usage-spool.jsonl")
        upgrade = [sys.executable, "-m", "gateway.cli.main", "db", "upgrade"]
        subprocess.run(upgrade, env=env, cwd=ROOT, check=True, capture_output=True)
    log = (tmp / "gw.log").open("wb")
    cmd = [
        sys.executable,
        "-m",
        "gateway.cli.main",
        "serve",
        "--config-dir",
        str(tmp),
        "--port",
        str(gw_port),
    ]
    gw = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=ROOT)
    try:
        wait_http(f"http://127.0.0.1:{gw_port}/health")
        rss: list[tuple[float, float]] = []

        async def run() -> list[tuple]:
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_rss(gw.pid, rss, stop))
            url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
            try:
                return await drive(url, args.rate, args.duration, args.seed, args.pool)
            finally:
                stop.set()
                await sampler

        samples = asyncio.run(run())
    finally:
        gw.terminate()
        gw.wait(60)
        upstream.terminate()
        upstream.wait(10)
        log.close()
    result = summarise(samples, rss, args)
    if args.ledger:
        with contextlib.closing(sqlite3.connect(database)) as db:
            result["ledger_rows"] = db.execute("SELECT count(*) FROM usage_ledger").fetchone()[0]
        result["answered"] = sum(1 for s in samples if s[3])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"soak-{args.label}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"soak-{args.label}.md").write_text(markdown(args.label, result))
    sys.stdout.write(markdown(args.label, result))


if __name__ == "__main__":
    main()
