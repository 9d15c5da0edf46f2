"""Micro-benchmark of the telemetry facade: per-request cost with each sink on or off.

    python bench/telemetry.py [--requests 20000] [--chunks 20]

Drives requests the way the executor does and reports the mean CPU cost per request of two shapes:

- fallback: two stages, a failed and a successful attempt, a guardrail verdict, a cache lookup;
- stream:   one attempt (its span ends at the first chunk), `--chunks` chunks sent (time to first
            token, then inter-chunk gaps), request end with usage; no incoming `traceparent`, as in
            `bench/overhead.py`'s SSE load. The last column is the cost of one more chunk.

each with these sinks:

- off:            metrics off, logs below level, tracing off (the floor);
- logs+metrics:   JSON line to /dev/null through the msgspec formatter, Prometheus samples;
- all on:         plus OpenTelemetry spans (5 per fallback, 2 per stream), handed synchronously to
                  an exporter that drops them;
- all on, unsampled: the same with the sampler dropping the trace (what a request outside
                  `OTEL_TRACES_SAMPLER_ARG` costs with `parentbased_traceidratio`).

Then the cost the span exporter adds on its own thread: OTLP protobuf encoding per span (the batch
processor's thread runs it; it holds the GIL, so it competes with the event loop for the same core).

It also checks the claim that tracing off allocates nothing per request: tracemalloc counts the
bytes allocated by `gateway/telemetry/tracing.py` and `spans.py` while requests run with tracing off.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import logging
import os
import time
import tracemalloc
import uuid
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from compiler.specs import CompiledGateway, LeafSpec, ProviderSpec, RouteSpec, Source, StrategySpec
from gateway.telemetry import EventLog, JsonFormatter, Metrics, Telemetry, Tracing
from gateway.telemetry import spans as spans_module
from gateway.telemetry import tracing as tracing_module
from gateway.usage import Usage

USAGE = Usage(prompt_tokens=20, completion_tokens=40)
TRACE_IDS = itertools.cycle([uuid.uuid4().hex for _ in range(4096)])
"""gw trace ids for streams: distinct like the server's, made before measuring."""


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


def one_stream(tel: Telemetry, headers: dict[str, str], chunks: int = 20) -> None:
    """The executor's calls for one streamed request of `chunks` chunks."""
    rt = tel.request_started(trace_id=next(TRACE_IDS), route="chat", model="m", stream=True, headers=headers)
    upstream: dict[str, str] = {}
    rt.attempt_started(
        path="config.targets[1]", provider="b", provider_type="openai", model="m", headers=upstream
    )
    rt.attempt_finished(status=200)
    for _ in range(chunks):
        rt.stream_chunk()
    rt.request_finished(status=200, usage=USAGE)


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


def measure(tel: Telemetry, requests: int, drive: Callable[[], None], rounds: int = 5) -> float:
    """Best over rounds of the mean CPU microseconds per `drive()` (CPU time: the host is shared)."""
    for _ in range(min(requests, 2000)):
        drive()
    results = []
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        for _ in range(requests):
            drive()
        results.append((time.process_time() - start) / requests * 1e6)
    return min(results)


def costs(tel: Telemetry, requests: int, chunks: int) -> tuple[float, float, float]:
    """µs per fallback request, per stream of `chunks` chunks, and per extra chunk."""
    traced = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    fallback = measure(tel, requests, lambda: one_request(tel, traced))
    stream = measure(tel, requests, lambda: one_stream(tel, {}, chunks))
    single = measure(tel, requests, lambda: one_stream(tel, {}, 1))
    return fallback, stream, (stream - single) / max(chunks - 1, 1)


def tracing_allocations(tel: Telemetry, requests: int) -> int:
    """Bytes allocated in tracing.py and spans.py while `requests` requests run with tracing off."""
    headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    one_request(tel, headers)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(requests):
        one_request(tel, headers)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    only = [tracemalloc.Filter(True, str(module.__file__)) for module in (tracing_module, spans_module)]
    stats = after.filter_traces(only).compare_to(before.filter_traces(only), "filename")
    return sum(max(s.size_diff, 0) for s in stats)


def otlp_encoding(requests: int, drive: Callable[[Telemetry], None]) -> tuple[float, float]:
    """Spans per request and CPU microseconds to OTLP-encode one span (the exporter thread's work)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    exporter = InMemorySpanExporter()
    tel = Telemetry(log=EventLog(logger(False)), tracing=Tracing(exporter, batch=False))
    tel.bind(gateway())
    for _ in range(requests):
        drive(tel)
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
    parser.add_argument("--chunks", type=int, default=20, help="chunks per streamed request")
    args = parser.parse_args()
    tels = variants()
    print(f"{'variant':<18} {'fallback µs':>11} {f'stream ({args.chunks} chunks) µs':>22} {'µs/chunk':>8}")
    for name, tel in tels.items():
        fallback, stream, chunk = costs(tel, args.requests, args.chunks)
        print(f"{name:<18} {fallback:>11.1f} {stream:>22.1f} {chunk:>8.2f}")
    traced = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    shapes = {
        "fallback": lambda tel: one_request(tel, traced),
        "stream": lambda tel: one_stream(tel, {}, args.chunks),
    }
    for shape, drive in shapes.items():
        per_request, per_span = otlp_encoding(min(args.requests, 5000), drive)
        print(
            f"OTLP encoding on the exporter thread, {shape}: {per_span:.1f} µs/span "
            f"({per_request:.0f} spans/request)"
        )
    allocated = tracing_allocations(tels["off"], 1000)
    print(f"tracing off: bytes allocated in tracing.py and spans.py over 1000 requests: {allocated}")
    for tel in tels.values():
        tel.shutdown()


if __name__ == "__main__":
    main()
