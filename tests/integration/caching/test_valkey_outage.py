"""Valkey killed under a running server: requests still succeed (uncached), and caching resumes after."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.caching.conftest import StartFn
from tests.services import ValkeyServer

pytestmark = pytest.mark.integration

STATUS = "x-portkey-cache-status"


def test_valkey_killed_mid_test_serves_misses_then_recovers(
    start_gateway: StartFn, valkey_server: ValkeyServer, upstream: FakeOpenAI
) -> None:
    gw = start_gateway({"exact": "{mode: simple, max_age: 600}"}, {"GW_VALKEY_URL": valkey_server.url})
    client, question = gw.client("exact"), f"Will this survive an outage? {uuid.uuid4().hex}"
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "HIT"

    valkey_server.stop()  # SIGKILL: in-flight connections reset, new ones refused
    try:
        during = [gw.ask(client, question) for _ in range(3)]
        assert [headers[STATUS] for _, headers in during] == ["MISS"] * 3
        assert {answer for answer, _ in during} == {"hello from cache-upstream"}
        assert len(upstream.requests) == 4  # every request was served, by the upstream
        assert gw.cache.counters.errors("exact") >= 1  # the failure is counted (and logged)
        assert gw.samples("gw_dependency_up", dependency="valkey") == 0
    finally:
        valkey_server.start()  # same port, empty: the old entry is gone

    statuses = []
    deadline = time.monotonic() + 30  # the cache skips Valkey for 1 s after a failure, then retries
    while "HIT" not in statuses[-1:] and time.monotonic() < deadline:
        statuses.append(gw.ask(client, question)[1][STATUS])
        time.sleep(0.2)
    assert statuses[-1] == "HIT", statuses
    assert set(statuses[:-1]) <= {"MISS"}
    assert gw.samples("gw_dependency_up", dependency="valkey") == 1


def test_answer_sent_just_before_shutdown_is_still_stored(
    start_gateway: StartFn, valkey_server: ValkeyServer, upstream: FakeOpenAI
) -> None:
    routes: dict[str, str | None] = {"exact": "{mode: simple, max_age: 600}"}
    env = {"GW_VALKEY_URL": valkey_server.url}
    first = start_gateway(routes, env)
    question = f"Asked right before a restart {uuid.uuid4().hex}"
    raw = first.client("exact").chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
    )
    assert raw.headers[STATUS] == "MISS"
    first.stop()  # at once: the store may still be pending, and shutdown drains it
    second = start_gateway(routes, env)
    assert second.ask(second.client("exact"), question)[1][STATUS] == "HIT"
    assert len(upstream.requests) == 1
