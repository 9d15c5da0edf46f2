"""Micro-benchmark of the telemetry facade: per-request cost with each sink on or off.

    python bench/telemetry.py [--requests 20000]

Drives one request the way the executor does (two stages, a failed and a successful attempt, a
guardrail verdict, a cache lookup, request end) and reports the mean cost per request for:

- off:            metrics off, logs below level, tracing off (the floor);
- logs+metrics:   JSON line to /dev/null through the msgspec formatter, Prometheus samples;
- all on:         plus OpenTelemetry spans (5 per request), exported synchronously to a sink;
- all on, unsampled: the same with the sampler dropping the trace (what a request outside
                  `OTEL_TRACES_SAMPLER_ARG` costs with `parentbased_traceidratio`).

Then the cost the span exporter adds on its own thread: OTLP protobuf encoding per span (the batch
processor's thread runs it; it holds the GIL, so it competes with the event loop for the same core).

It also checks the claim that tracing off allocates nothing per request: tracemalloc counts the
bytes allocated by `gateway/telemetry/tracing.py` and the tracing branch of `request.py` while
requests run with tracing off.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import time
import tracemalloc
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from compiler.specs import CompiledGateway, LeafSpec, ProviderSpec, RouteSpec, Source, StrategySpec
from gateway.telemetry import EventLog, JsonFormatter, Metrics, Telemetry, Tracing
from gateway.telemetry import tracing as tracing_module
from gateway.usage import Usage

USAGE = Usage(prompt_tokens=20, completion_tokens=40)


class DiscardingExporter(SpanExporter):
    """Accepts spans and drops them: measures span creation, not an exporter's I/O."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Drop the spans."""
        return SpanExportResult.SUCCESS


def gateway() -> CompiledGateway:
    """A compiled gateway with one fallback route over two providers."""
    src = Source(file="routes.yaml", line=1, col=1)
    leaves = tuple(
        LeafSpec(path=f"config.targets[{i}]", provider=p, source=src) for i, p in enumerate(("a", "b"))
    )
    return CompiledGateway(
        content_hash="sha256:bench",
        providers=tuple(ProviderSpec(id=p, type="openai", models=("m",), source=src) for p in ("a", "b")),
        routes=(RouteSpec(id="chat", root=StrategySpec(path="config", mode="fallback", targets=leaves,
                                                         source=src), source=src),),
    )  # fmt: skip


def one_request(tel: Telemetry, headers: dict[str, str]) -> None:
    """The executor's calls for one fallback request."""
    rt = tel.request_started(trace_id="t", route="chat", model="m", headers=headers)
    with rt.stage("input_guardrails"):
        rt.guardrail_checked("g", "input", "pass")
    with rt.stage("cache"):
        rt.cache_checked("simple", "MISS")
    upstream: dict[str, str] = {}
    rt.attempt_started(
        path="config.targets[0]", provider="a", provider_type="openai", model="m", headers=upstream
    )
    rt.attempt_finished(status=503, error="api_error")
    rt.attempt_started(
        path="config.targets[1]", provider="b", provider_type="openai", model="m", headers=upstream
    )
    rt.attempt_finished(status=200, usage=USAGE)
    rt.request_finished(status=200, usage=USAGE, cost_usd=0.001)


def logger(enabled: bool) -> logging.Logger:
    """A logger writing JSON lines to /dev/null, or one below its level."""
    log = logging.getLogger(f"gw.bench.{enabled}")
    log.propagate = False
    log.handlers.clear()
    if enabled:
        handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives for the process
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    else:
        log.setLevel(logging.CRITICAL)
    return log


def variants() -> dict[str, Telemetry]:
    """The three configurations measured."""
    out = {
        "off": Telemetry(metrics=None, log=EventLog(logger(False))),
        "logs+metrics": Telemetry(metrics=Metrics(), log=EventLog(logger(True))),
        "all on": Telemetry(
            metrics=Metrics(), log=EventLog(logger(True)), tracing=Tracing(DiscardingExporter(), batch=False)
        ),
        "all on, unsampled": Telemetry(
            metrics=Metrics(),
            log=EventLog(logger(True)),
            tracing=Tracing(DiscardingExporter(), batch=False, sampler=ALWAYS_OFF),
        ),
    }
    for tel in out.values():
        tel.bind(gateway())
    return out


def measure(tel: Telemetry, requests: int, rounds: int = 5) -> float:
    """Best over rounds of the mean CPU microseconds per request (CPU time: the host is shared)."""
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    for _ in range(min(requests, 2000)):
        one_request(tel, headers)
    results = []
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        for _ in range(requests):
            one_request(tel, headers)
        results.append((time.process_time() - start) / requests * 1e6)
    return min(results)


def tracing_allocations(tel: Telemetry, requests: int) -> int:
    """Bytes allocated in tracing.py while `requests` requests run with tracing off."""
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    one_request(tel, headers)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(requests):
        one_request(tel, headers)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    only = [tracemalloc.Filter(True, tracing_module.__file__)]
    stats = after.filter_traces(only).compare_to(before.filter_traces(only), "filename")
    return sum(max(s.size_diff, 0) for s in stats)


def otlp_encoding(requests: int) -> tuple[float, float]:
    """Spans per request and CPU microseconds to OTLP-encode one span (the exporter thread's work)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    exporter = InMemorySpanExporter()
    tel = Telemetry(log=EventLog(logger(False)), tracing=Tracing(exporter, batch=False))
    tel.bind(gateway())
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    for _ in range(requests):
        one_request(tel, headers)
    spans = exporter.get_finished_spans()
    start = time.process_time()
    for i in range(0, len(spans), 512):  # the batch processor's default batch size
        encode_spans(spans[i : i + 512]).SerializePartialToString()
    tel.shutdown()
    return len(spans) / requests, (time.process_time() - start) / len(spans) * 1e6


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    tels = variants()
    print(f"{'variant':<18} {'µs/request':>10}")
    for name, tel in tels.items():
        print(f"{name:<18} {measure(tel, args.requests):>10.1f}")
    per_request, per_span = otlp_encoding(min(args.requests, 5000))
    print(f"OTLP encoding on the exporter thread: {per_span:.1f} µs/span ({per_request:.0f} spans/request)")
    allocated = tracing_allocations(tels["off"], 1000)
    print(f"tracing off: bytes allocated in tracing.py over 1000 requests: {allocated}")
    for tel in tels.values():
        tel.shutdown()


if __name__ == "__main__":
    main()
