"""A closed-loop HTTP load generator (aiohttp + uvloop): C clients, each sends its next request when
the previous one finished. Streaming requests are read to the end (`[DONE]` or an error event).

    python bench/loadgen.py URL --concurrency 32 --duration 10 [--stream] [--header k:v]

Prints one JSON object: requests/s, latency percentiles (ms), errors, time to first byte for streams.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp
import uvloop

BODY = {
    "model": "bench-model",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say something about foxes."},
    ],
    "max_tokens": 32,
}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def _client(
    session: aiohttp.ClientSession,
    url: str,
    payload: bytes,
    headers: dict[str, str],
    stream: bool,
    stop_at: float,
    out: dict[str, list[float]],
) -> None:
    while time.perf_counter() < stop_at:
        start = time.perf_counter()
        try:
            async with session.post(url, data=payload, headers=headers) as resp:
                if stream:
                    first = None
                    done = errored = False
                    async for line in resp.content:
                        if first is None:
                            first = time.perf_counter() - start
                        if line.startswith(b'data: {"error"'):
                            errored = True
                        elif line.startswith(b"data: [DONE]"):
                            done = True
                    ok = resp.status == 200 and done and not errored  # a stream without [DONE] failed
                    out["ttfb"].append((first or 0.0) * 1000)
                else:
                    await resp.read()
                    ok = resp.status == 200
        except aiohttp.ClientError:
            ok = False
        elapsed = (time.perf_counter() - start) * 1000
        (out["latency"] if ok else out["errors"]).append(elapsed)


async def run(
    url: str, concurrency: int, duration: float, stream: bool, headers: dict[str, str]
) -> dict[str, float]:
    """Run the closed loop and return the summary."""
    payload = json.dumps({**BODY, "stream": stream}).encode()
    headers = {"content-type": "application/json", **headers}
    out: dict[str, list[float]] = {"latency": [], "errors": [], "ttfb": []}
    connector = aiohttp.TCPConnector(limit=concurrency * 2, keepalive_timeout=30)
    async with aiohttp.ClientSession(connector=connector) as session:
        warm = time.perf_counter() + min(1.0, duration / 5)
        await asyncio.gather(
            *(
                _client(
                    session, url, payload, headers, stream, warm, {"latency": [], "errors": [], "ttfb": []}
                )
                for _ in range(concurrency)
            )
        )
        began = time.perf_counter()
        stop_at = began + duration
        await asyncio.gather(
            *(_client(session, url, payload, headers, stream, stop_at, out) for _ in range(concurrency))
        )
        wall = time.perf_counter() - began
    lat = out["latency"]
    return {
        "concurrency": concurrency,
        "stream": stream,
        "requests": len(lat),
        "errors": len(out["errors"]),
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(_percentile(lat, 0.50), 3),
        "p90_ms": round(_percentile(lat, 0.90), 3),
        "p99_ms": round(_percentile(lat, 0.99), 3),
        "mean_ms": round(statistics.fmean(lat), 3) if lat else 0.0,
        "ttfb_p50_ms": round(_percentile(out["ttfb"], 0.50), 3),
        "wall_s": round(wall, 3),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--header", action="append", default=[], help="name:value")
    args = parser.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    result = uvloop.run(run(args.url, args.concurrency, args.duration, args.stream, headers))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
