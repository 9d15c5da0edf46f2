"""Routing building blocks: conditional queries, breakers, backoff and the custom-host guard."""

from __future__ import annotations

import random

import pytest

from compiler.specs import CircuitBreakerSpec, QueryAll, QueryAny, QueryCompare, RetrySpec
from gateway.errors import RequestError
from gateway.runtime.backoff import retry_wait_s
from gateway.runtime.breaker import CircuitBreaker
from gateway.runtime.conditions import compile_query
from gateway.runtime.ssrf import HostGuard


def _q(field: str, op: str, value: str, root: str = "params") -> QueryCompare:
    return QueryCompare(root=root, field=field, op=op, value=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "facts", "expected"),
    [
        (_q("plan", "$eq", '"paid"', "metadata"), {"metadata": {"plan": "paid"}}, True),
        (_q("plan", "$ne", '"paid"', "metadata"), {"metadata": {}}, True),
        (_q("temperature", "$gt", "0.7"), {"params": {"temperature": 0.9}}, True),
        (_q("temperature", "$lte", "0.7"), {"params": {"temperature": "0.5"}}, True),
        (_q("temperature", "$gt", "0.7"), {"params": {}}, False),
        (_q("model", "$in", '["a","b"]'), {"params": {"model": "b"}}, True),
        (_q("model", "$nin", '["a","b"]'), {"params": {"model": "c"}}, True),
        (_q("model", "$regex", '"^gpt-4"'), {"params": {"model": "gpt-4o"}}, True),
        (_q("pathname", "$eq", '"/v1/embeddings"', "url"), {"url": {"pathname": "/v1/embeddings"}}, True),
    ],
)
def test_queries_follow_portkey_semantics(query: QueryCompare, facts: dict, expected: bool) -> None:
    assert compile_query(query)(facts) is expected


def test_and_or_combine() -> None:
    both = QueryAll(items=(_q("a", "$eq", "1"), _q("b", "$eq", "2")))
    either = QueryAny(items=(_q("a", "$eq", "9"), _q("b", "$eq", "2")))
    facts = {"params": {"a": 1, "b": 2}}
    assert compile_query(both)(facts) and compile_query(either)(facts)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_cycle_closed_open_half_open_closed() -> None:
    clock = Clock()
    breaker = CircuitBreaker(spec=CircuitBreakerSpec(failure_threshold=2, cooldown_ms=1000), clock=clock)
    breaker.record(503)
    assert breaker.allow()
    breaker.record(503)
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 1.5
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record(200)
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_ignores_statuses_it_does_not_count() -> None:
    breaker = CircuitBreaker(spec=CircuitBreakerSpec(failure_threshold=1))
    breaker.record(400)
    assert breaker.state == "closed"


def test_backoff_is_full_jitter_within_the_exponential_bound() -> None:
    retry = RetrySpec(attempts=5, backoff_base_ms=100, backoff_max_ms=1000)
    rng = random.Random(7)
    waits = [retry_wait_s(retry, 3, None, rng=rng) for _ in range(200)]
    assert all(w is not None and 0 <= w <= 0.8 for w in waits)
    assert max(w for w in waits if w is not None) > 0.5
    assert retry_wait_s(RetrySpec(backoff_base_ms=100, backoff_max_ms=250, jitter=False), 4, None) == 0.25


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    retry = RetrySpec(attempts=2, use_retry_after_header=True, max_retry_after_ms=5000)
    assert retry_wait_s(retry, 0, 2.0) == 2.0
    assert retry_wait_s(retry, 0, 30.0) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/v1",
        "http://192.168.0.1",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://localhost:8080",
        "http://svc.internal",
        "http://0x7f000001",
        "http://intranet",
        "gopher://example.com",
    ],
)
async def test_guard_refuses_internal_targets(url: str) -> None:
    with pytest.raises(RequestError):
        await HostGuard([]).check(url)


async def test_guard_allows_listed_hosts_and_cidrs() -> None:
    guard = HostGuard(["localhost", "10.0.0.0/8", "127.0.0.1"])
    await guard.check("http://localhost:11434")
    await guard.check("http://10.9.9.9/v1")
    await guard.check("http://127.0.0.1:8000/v1")
    await guard.check("https://8.8.8.8/v1")
