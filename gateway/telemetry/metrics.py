"""Prometheus metrics in a registry owned by a `Metrics` object (no module-level collectors).

Label values come only from compiled ids (routes, providers, models, budgets, guardrails, targets);
anything else is folded to `other`, so a client cannot grow the series count with made-up model names
or header configs. Trace ids and keys are never labels. `bind()` swaps the allowed sets on reload.

The exposition names are published below; `SERIES` lists every sample name the registry can emit, and
`deploy/grafana/gw-dashboard.json` is tested against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics import MetricWrapperBase

from compiler.specs import CompiledGateway
from gateway.telemetry.labels import OTHER, LabelSets

__all__ = [
    "BUDGET_REMAINING",
    "CACHE_LOOKUPS",
    "CIRCUIT_STATE",
    "CONFIG_INFO",
    "CONFIG_RELOADS",
    "CONTENT_TYPE",
    "COST",
    "DEPENDENCY_UP",
    "GUARDRAIL_VERDICTS",
    "OTHER",
    "RATE_LIMIT_REJECTIONS",
    "REQUESTS",
    "REQUESTS_IN_FLIGHT",
    "REQUEST_DURATION",
    "SERIES",
    "STREAM_INTER_CHUNK",
    "STREAM_TTFT",
    "TOKENS",
    "UPSTREAM_ATTEMPTS",
    "UPSTREAM_DURATION",
    "LabelSets",
    "Metrics",
]

REQUESTS = "gw_requests_total"
REQUEST_DURATION = "gw_request_duration_seconds"
REQUESTS_IN_FLIGHT = "gw_requests_in_flight"
UPSTREAM_ATTEMPTS = "gw_upstream_attempts_total"
UPSTREAM_DURATION = "gw_upstream_attempt_duration_seconds"
STREAM_TTFT = "gw_stream_time_to_first_token_seconds"
STREAM_INTER_CHUNK = "gw_stream_inter_chunk_seconds"
TOKENS = "gw_tokens_total"
COST = "gw_cost_usd_total"
CACHE_LOOKUPS = "gw_cache_lookups_total"
GUARDRAIL_VERDICTS = "gw_guardrail_verdicts_total"
BUDGET_REMAINING = "gw_budget_remaining_usd"
RATE_LIMIT_REJECTIONS = "gw_rate_limit_rejections_total"
CIRCUIT_STATE = "gw_circuit_breaker_state"
CONFIG_RELOADS = "gw_config_reloads_total"
CONFIG_INFO = "gw_config_info"
DEPENDENCY_UP = "gw_dependency_up"

_COUNTERS: tuple[str, ...] = (REQUESTS, UPSTREAM_ATTEMPTS, TOKENS, COST, CACHE_LOOKUPS, GUARDRAIL_VERDICTS)
_COUNTERS += (RATE_LIMIT_REJECTIONS, CONFIG_RELOADS)
_HISTOGRAMS = (REQUEST_DURATION, UPSTREAM_DURATION, STREAM_TTFT, STREAM_INTER_CHUNK)
_GAUGES = (REQUESTS_IN_FLIGHT, BUDGET_REMAINING, CIRCUIT_STATE, CONFIG_INFO, DEPENDENCY_UP)

SERIES: frozenset[str] = frozenset(
    [*_COUNTERS, *(c.removesuffix("_total") + "_created" for c in _COUNTERS), *_GAUGES]
    + [h + suffix for h in _HISTOGRAMS for suffix in ("_bucket", "_count", "_sum", "_created")]
)
"""Every sample name the registry exposes (histogram and counter suffixes included)."""

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""Content type of the `/metrics` response."""


_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_GAP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_CIRCUIT_VALUES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}
_CACHE_RESULTS = {"HIT": "hit", "SEMANTIC HIT": "hit", "MISS": "miss", "SEMANTIC MISS": "miss"}


_M = TypeVar("_M", bound=MetricWrapperBase)


def _status(code: int) -> str:
    return str(code) if 100 <= code <= 599 else OTHER


class Metrics:
    """Owns a `CollectorRegistry` and every gw metric in it; methods take raw values and fold them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.labels = LabelSets()
        # Label children by (metric, values): prometheus-client's `labels()` validates and locks on
        # every call; label sets are bounded, so this cache is too.
        self._children: dict[tuple[MetricWrapperBase, tuple[str, ...]], MetricWrapperBase] = {}
        self._scrape_hooks: list[Callable[[], None]] = []
        self._make_request_metrics()
        self._make_component_metrics()

    def _make_request_metrics(self) -> None:
        reg, rpms = self.registry, ("route", "provider", "model", "status")
        self.requests = Counter(
            REQUESTS, "Requests answered, by route, provider, model and status.", rpms, registry=reg
        )
        self.request_duration = Histogram(
            REQUEST_DURATION, "End-to-end request latency.", rpms, buckets=_LATENCY_BUCKETS, registry=reg
        )
        self.in_flight = Gauge(REQUESTS_IN_FLIGHT, "Requests being processed.", registry=reg)
        pms = ("provider", "model", "status")
        self.attempts = Counter(UPSTREAM_ATTEMPTS, "Upstream calls, by outcome status.", pms, registry=reg)
        self.attempt_duration = Histogram(
            UPSTREAM_DURATION, "Latency of one upstream call.", pms, buckets=_LATENCY_BUCKETS, registry=reg
        )
        rpm = ("route", "provider", "model")
        self.ttft = Histogram(
            STREAM_TTFT, "Time from request start to the first streamed chunk.", rpm,
            buckets=_LATENCY_BUCKETS, registry=reg,
        )  # fmt: skip
        self.inter_chunk = Histogram(
            STREAM_INTER_CHUNK, "Gap between consecutive streamed chunks.", ("provider", "model"),
            buckets=_GAP_BUCKETS, registry=reg,
        )  # fmt: skip
        self.tokens = Counter(TOKENS, "Tokens by class (input, output, ...).", (*rpm, "kind"), registry=reg)
        self.cost = Counter(COST, "Spend in USD (priced requests only).", rpm, registry=reg)

    def _make_component_metrics(self) -> None:
        reg = self.registry
        self.cache = Counter(
            CACHE_LOOKUPS, "Cache lookups by mode and result.", ("route", "mode", "result"), registry=reg
        )
        self.guardrails = Counter(
            GUARDRAIL_VERDICTS, "Guardrail verdicts.", ("guardrail", "phase", "verdict"), registry=reg
        )
        self.budget_remaining = Gauge(BUDGET_REMAINING, "Budget left in USD.", ("budget",), registry=reg)
        self.rejections = Counter(
            RATE_LIMIT_REJECTIONS,
            "Requests refused by a rate limit or budget.",
            ("route", "limit"),
            registry=reg,
        )
        self.circuit = Gauge(
            CIRCUIT_STATE,
            "Circuit breaker state (0 closed, 1 half-open, 2 open).",
            ("route", "target"),
            registry=reg,
        )
        self.reloads = Counter(CONFIG_RELOADS, "Configuration reloads by result.", ("result",), registry=reg)
        self.config_info = Gauge(CONFIG_INFO, "The active configuration (value 1).", ("hash",), registry=reg)
        self.dependency_up = Gauge(
            DEPENDENCY_UP, "Dependency reachable (1) or not (0).", ("dependency",), registry=reg
        )

    def _child(self, metric: _M, *values: str) -> _M:
        child = self._children.get((metric, values))
        if child is None:
            child = self._children[(metric, values)] = metric.labels(*values)
        return child  # type: ignore[return-value]  # a child has its parent's type

    def bind(self, gateway: CompiledGateway) -> None:
        """Adopt the label sets of a newly active compiled gateway and publish its hash."""
        self.labels = LabelSets(gateway)
        self.config_info.clear()
        self.config_info.labels(hash=gateway.content_hash or OTHER).set(1)

    def on_scrape(self, hook: Callable[[], None]) -> None:
        """Run `hook` before every render: for state read when scraped (breakers, budgets)."""
        self._scrape_hooks.append(hook)

    def render(self) -> bytes:
        """Return the `/metrics` exposition text (serve with `CONTENT_TYPE`)."""
        for hook in self._scrape_hooks:
            hook()
        return generate_latest(self.registry)

    # ---------------------------------------------------------------- recording

    def request(
        self, route: str, provider: str | None, model: str | None, status: int, seconds: float
    ) -> None:
        """Count one answered request and observe its latency."""
        ls = self.labels
        key = (
            ls.fold(route, ls.routes),
            ls.fold(provider, ls.providers),
            ls.fold(model, ls.models),
            _status(status),
        )
        self._child(self.requests, *key).inc()
        self._child(self.request_duration, *key).observe(seconds)

    def attempt(self, provider: str, model: str | None, status: int, seconds: float) -> None:
        """Count one upstream call and observe its latency."""
        ls = self.labels
        key = (ls.fold(provider, ls.providers), ls.fold(model, ls.models), _status(status))
        self._child(self.attempts, *key).inc()
        self._child(self.attempt_duration, *key).observe(seconds)

    def first_token(self, route: str, provider: str | None, model: str | None, seconds: float) -> None:
        """Observe a stream's time to first chunk."""
        ls = self.labels
        self._child(
            self.ttft, ls.fold(route, ls.routes), ls.fold(provider, ls.providers), ls.fold(model, ls.models)
        ).observe(seconds)

    def chunk_gaps(self, provider: str | None, model: str | None, gaps: Iterable[float]) -> None:
        """Observe several gaps between streamed chunks of one stream (one label lookup)."""
        ls = self.labels
        child = self._child(self.inter_chunk, ls.fold(provider, ls.providers), ls.fold(model, ls.models))
        for seconds in gaps:
            child.observe(seconds)

    def usage(
        self,
        route: str,
        provider: str | None,
        model: str | None,
        tokens: Iterable[tuple[str, int]],
        cost: float | None,
    ) -> None:
        """Add token counts by class and the cost (when priced)."""
        ls = self.labels
        key = (ls.fold(route, ls.routes), ls.fold(provider, ls.providers), ls.fold(model, ls.models))
        for kind, count in tokens:
            if count:
                self._child(self.tokens, *key, kind).inc(count)
        if cost:
            self._child(self.cost, *key).inc(cost)

    def cache_lookup(self, route: str, mode: str, status: str) -> None:
        """Count a cache lookup by mode (`simple`/`semantic`) and result (`hit`/`miss`/`refresh`)."""
        result = _CACHE_RESULTS.get(status, "refresh" if status == "REFRESH" else OTHER)
        mode = mode if mode in ("simple", "semantic") else OTHER
        self._child(self.cache, self.labels.fold(route, self.labels.routes), mode, result).inc()

    def guardrail(self, guardrail_id: str, phase: str, verdict: str) -> None:
        """Count one guardrail verdict (`pass`, `flag`, `deny`, `redact`) in a phase (`input`/`output`)."""
        verdict = verdict if verdict in ("pass", "flag", "deny", "redact") else OTHER
        phase = phase if phase in ("input", "output") else OTHER
        self._child(
            self.guardrails, self.labels.fold(guardrail_id, self.labels.guardrails), phase, verdict
        ).inc()

    def budget(self, budget_id: str, remaining_usd: float) -> None:
        """Set the remaining amount of a budget."""
        self._child(self.budget_remaining, self.labels.fold(budget_id, self.labels.budgets)).set(
            remaining_usd
        )

    def rejection(self, route: str, limit: str) -> None:
        """Count a refusal by a limit (`requests`, `tokens` or `budget`)."""
        limit = limit if limit in ("requests", "tokens", "budget") else OTHER
        self._child(self.rejections, self.labels.fold(route, self.labels.routes), limit).inc()

    def circuit_state(self, route: str, target: str, state: str) -> None:
        """Set a target's breaker state (`closed`, `half_open`, `open`)."""
        ls = self.labels
        self._child(self.circuit, ls.fold(route, ls.routes), ls.fold(target, ls.targets)).set(
            _CIRCUIT_VALUES.get(state, -1.0)
        )

    def set_circuits(self, states: Iterable[tuple[str, str, str]]) -> None:
        """Replace every breaker series with these `(route, target path, state)` triples."""
        self.circuit.clear()
        self._children = {k: v for k, v in self._children.items() if k[0] is not self.circuit}
        for route, target, state in states:
            self.circuit_state(route, target, state)

    def reload(self, ok: bool) -> None:
        """Count a configuration reload attempt."""
        self._child(self.reloads, "success" if ok else "failure").inc()

    def dependency(self, name: str, up: bool) -> None:
        """Set a dependency's reachability (`valkey`, `postgres`, `lancedb`, …)."""
        name = name if name in ("valkey", "postgres", "database", "lancedb", "otlp") else OTHER
        self._child(self.dependency_up, name).set(1.0 if up else 0.0)
