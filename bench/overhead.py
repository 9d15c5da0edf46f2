"""Gateway overhead: direct-to-upstream vs through gw, in the same run, at several concurrencies.

Layout on the 2-core machine (issue 3): gw (one worker) pinned to core 0; the fake upstream and the
load generator pinned to core 1. For each concurrency (1, 8, 32, 64) and mode (JSON, SSE) it runs the
load generator against the fake upstream directly, then through gw, and records requests/s, p50/p99
latency, the added latency, gw's CPU time per request and its RSS. Results go to bench/results/ as JSON
and Markdown.

    python bench/overhead.py                      # full run (quiet machine!)
    python bench/overhead.py --quick              # smoke: short runs, concurrency 1 and 32
    python bench/overhead.py --workers 2 --no-pin # scaling run, gw on both cores
    python bench/overhead.py --server granian     # compare ASGI servers
    python bench/overhead.py --telemetry both     # logs + metrics + tracing off, then on: the cost

`--telemetry on` runs gw with JSON request logs (info), Prometheus metrics, the console feed and
OpenTelemetry tracing exported over OTLP/HTTP to `bench/otlp_sink.py` (a local collector stand-in that
accepts and discards: spans are built, batched, encoded and sent, with no retries); `--trace-sample R`
samples that ratio of traces (`parentbased_traceidratio`, default 1 = every request); `off` sets
`GW_LOG_LEVEL=warning GW_METRICS=0 OTEL_SDK_DISABLED=true` and no admin token (no console feed); `both`
runs off then on against the same upstream and adds a comparison table.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str = "/health", timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(f"GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode())
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing healthy on port {port}")


def tree(pid: int) -> list[int]:
    """pid and all its descendants (uvicorn/granian workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def pinned(cmd: list[str], cores: str | None) -> list[str]:
    return ["taskset", "-c", cores, *cmd] if cores else cmd


def write_config(directory: Path, upstream_port: int) -> None:
    (directory / "providers.yaml").write_text(
        f"kind: provider\nid: bench\ntype: openai-compatible\nbase_url: http://127.0.0.1:{upstream_port}/v1\n"
    )
    (directory / "routes.yaml").write_text("kind: route\nid: bench\nprovider: bench\n")


def loadgen(
    url: str, concurrency: int, duration: float, stream: bool, cores: str | None, via_gw: bool
) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "loadgen.py"), url, "--concurrency", str(concurrency)]
    cmd += ["--duration", str(duration)]
    if stream:
        cmd.append("--stream")
    if via_gw:
        cmd += ["--header", "x-portkey-config:bench"]
    out = subprocess.run(pinned(cmd, cores), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(args: argparse.Namespace, gw_port: int, up_port: int, gw_pid: int) -> list[dict]:
    rows = []
    side = None if args.no_pin else "1"
    for stream in (False, True):
        for concurrency in args.concurrency:
            direct = loadgen(
                f"http://127.0.0.1:{up_port}/v1/chat/completions",
                concurrency,
                args.duration,
                stream,
                side,
                False,
            )
            pids = tree(gw_pid)
            cpu_before = cpu_seconds(pids)
            through = loadgen(
                f"http://127.0.0.1:{gw_port}/v1/chat/completions",
                concurrency,
                args.duration,
                stream,
                side,
                True,
            )
            cpu = cpu_seconds(tree(gw_pid)) - cpu_before
            total = through["requests"] + through["errors"]
            row = {
                "mode": "stream" if stream else "json",
                "concurrency": concurrency,
                "direct": direct,
                "gw": through,
                "added_p50_ms": round(through["p50_ms"] - direct["p50_ms"], 3),
                "added_p99_ms": round(through["p99_ms"] - direct["p99_ms"], 3),
                "gw_cpu_ms_per_request": round(cpu * 1000 / total, 3) if total else None,
                "gw_rss_mb": rss_mb(tree(gw_pid)),
            }
            print(
                json.dumps(
                    {
                        k: row[k]
                        for k in ("mode", "concurrency", "added_p50_ms", "gw_cpu_ms_per_request", "gw_rss_mb")
                    }
                    | {"gw_rps": through["rps"], "direct_rps": direct["rps"], "errors": through["errors"]}
                ),
                flush=True,
            )
            rows.append(row)
    return rows


def telemetry_env(mode: str, sink_port: int, sample: float = 1.0) -> dict[str, str]:
    """Environment for gw with telemetry `on` or `off` (`default`: leave the environment alone)."""
    if mode == "off":
        return {
            "GW_LOG_LEVEL": "warning",
            "GW_METRICS": "0",
            "OTEL_SDK_DISABLED": "true",
            "GW_ADMIN_TOKEN": "",
        }
    if mode == "on":
        return {
            "GW_LOG_LEVEL": "info",
            "GW_METRICS": "1",
            "GW_ADMIN_TOKEN": "bench-console",  # keeps the console feed, as a server with /ui on does
            "OTEL_SDK_DISABLED": "false",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{sink_port}/v1/traces",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": str(sample),
        }
    return {}


def comparison(off: list[dict], on: list[dict]) -> str:
    """Markdown table: gw p50 and CPU per request with telemetry off vs on."""
    lines = [
        "| mode | conc | p50 off | p50 on | on − off (p50) | CPU/req off | CPU/req on |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for a, b in zip(off, on, strict=True):
        delta = round(b["gw"]["p50_ms"] - a["gw"]["p50_ms"], 3)
        cells = [a["mode"], a["concurrency"], f"{a['gw']['p50_ms']} ms", f"{b['gw']['p50_ms']} ms"]
        cells += [f"{delta} ms", f"{a['gw_cpu_ms_per_request']} ms", f"{b['gw_cpu_ms_per_request']} ms"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(meta: dict, rows: list[dict]) -> str:
    title = f"server {meta['server']}, workers {meta['workers']}, load {meta['loadavg']}"
    title += f", telemetry {meta.get('telemetry', 'default')}"
    lines = [
        f"# gw overhead — {meta['started']} — {title}",
        "",
        "| mode | conc | direct rps | gw rps | direct p50 | gw p50 | added p50 | gw p99 | CPU/req "
        "| RSS | err |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d, g = r["direct"], r["gw"]
        cells = [r["mode"], r["concurrency"], d["rps"], g["rps"], f"{d['p50_ms']} ms", f"{g['p50_ms']} ms"]
        cells += [f"{r['added_p50_ms']} ms", f"{g['p99_ms']} ms", f"{r['gw_cpu_ms_per_request']} ms"]
        cells += [f"{r['gw_rss_mb']} MB", g["errors"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def run_gw(
    args: argparse.Namespace, config_dir: str, up_port: int, telemetry: str, sink_port: int = 0
) -> tuple[dict, list[dict]]:
    """Start gw on the config, measure, stop it."""
    gw_port = free_port()
    gw = [
        sys.executable,
        "-m",
        "gateway.cli.main",
        "serve",
        "--config-dir",
        config_dir,
        "--port",
        str(gw_port),
    ]
    gw += ["--workers", str(args.workers), "--server", args.server, "--no-watch"]
    env = {**os.environ, "GW_LOG_LEVEL": os.environ.get("GW_LOG_LEVEL", "info")}
    env.update(telemetry_env(telemetry, sink_port, args.trace_sample))
    proc = subprocess.Popen(pinned(gw, None if args.no_pin else "0"), env=env, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        wait_http(gw_port, "/ready")
        meta = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": args.server,
            "workers": args.workers,
            "telemetry": telemetry,
            "trace_sample": args.trace_sample if telemetry == "on" else None,
            "duration_s": args.duration,
            "pinned": not args.no_pin,
            "loadavg": os.getloadavg()[0],
            "cpus": os.cpu_count(),
        }
        return meta, measure(args, gw_port, up_port, proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def save(name: str, meta: dict, rows: list[dict], extra: str = "") -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(meta, rows) + extra)
    print(markdown(meta, rows) + extra)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s, concurrency 1 and 32")
    parser.add_argument(
        "--telemetry",
        choices=("default", "on", "off", "both"),
        default="default",
        help="logs + metrics + tracing on, off, or both runs back to back (default: environment as is)",
    )
    parser.add_argument(
        "--trace-sample", type=float, default=1.0, help="with telemetry on: ratio of traces sampled"
    )
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.concurrency = 2.0, [1, 32]
    up_port = free_port()
    name = f"overhead-{args.server}-w{args.workers}{'-quick' if args.quick else ''}{args.tag}"
    modes = ["off", "on"] if args.telemetry == "both" else [args.telemetry]
    runs: dict[str, tuple[dict, list[dict]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_config(Path(tmp), up_port)
        upstream = [sys.executable, str(ROOT / "bench" / "fake_upstream.py"), "--port", str(up_port)]
        up = subprocess.Popen(pinned(upstream, None if args.no_pin else "1"))
        sink_port = free_port()
        sink_cmd = [sys.executable, str(ROOT / "bench" / "otlp_sink.py"), "--port", str(sink_port)]
        sink = subprocess.Popen(pinned(sink_cmd, None if args.no_pin else "1")) if "on" in modes else None
        try:
            for mode in modes:
                runs[mode] = run_gw(args, tmp, up_port, mode, sink_port)
        finally:
            for proc in (up, sink):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    for mode, (meta, rows) in runs.items():
        suffix = "" if mode == "default" else f"-telemetry-{mode}"
        extra = ""
        if mode == "on" and "off" in runs:
            extra = "\n## telemetry on vs off\n\n" + comparison(runs["off"][1], rows)
        save(name + suffix, meta, rows, extra)


if __name__ == "__main__":
    main()
