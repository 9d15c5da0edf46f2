"""The exact cache through the real server, with the in-process default and with a real Valkey.

Every test runs twice (`backend`): the same behaviour must hold whichever store keeps the entries.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.caching.conftest import StartFn
from tests.integration.caching.gateway import CacheGateway

pytestmark = pytest.mark.integration

ROUTES: dict[str, str | None] = {
    "exact": "{mode: simple, max_age: 600}",
    "brief": "{mode: simple, max_age: 1}",
    "plain": None,
}
STATUS = "x-portkey-cache-status"


@pytest.fixture(params=["memory", "valkey"])
def gw(request: pytest.FixtureRequest, start_gateway: StartFn) -> CacheGateway:
    """A server whose exact entries live in-process (`memory`) or in a real Valkey (`valkey`)."""
    env = {}
    if request.param == "valkey":
        env["GW_VALKEY_URL"] = request.getfixturevalue("valkey_server").url
    return start_gateway(ROUTES, env)


def _question() -> str:
    """A question no earlier test asked (Valkey outlives a test)."""
    return f"What is the answer to question {uuid.uuid4().hex}?"


def test_repeated_question_is_answered_from_the_cache(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    first, first_headers = gw.ask(client, question)
    second, second_headers = gw.ask(client, question)
    assert (first_headers[STATUS], second_headers[STATUS]) == ("MISS", "HIT")
    assert second == first == "hello from cache-upstream"
    assert len(upstream.requests) == 1
    assert "x-gw-cache-similarity" not in second_headers


def test_lookups_are_exported_once_by_route_mode_and_result(gw: CacheGateway) -> None:
    client, question = gw.client("exact"), _question()
    for _ in range(3):
        gw.ask(client, question)
    assert gw.lookups("exact", "simple", "miss") == 1
    assert gw.lookups("exact", "simple", "hit") == 2
    assert gw.cache.counters.count("exact", "simple", "HIT") == 2  # the same lookups, not re-exported
    # Hits are requests of the route's provider too, though no attempt reached it.
    assert gw.samples("gw_requests_total", route="exact", provider="up", status="200") == 3


def test_route_without_cache_says_disabled_and_always_calls(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("plain"), _question()
    statuses = [gw.ask(client, question)[1][STATUS] for _ in range(2)]
    streamed = gw.ask_streaming(client, question)[1][STATUS]
    assert [*statuses, streamed] == ["DISABLED"] * 3
    assert len(upstream.requests) == 3


def test_entry_expires_after_max_age(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("brief"), _question()
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "HIT"
    time.sleep(1.1)  # max_age is 1 s
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert len(upstream.requests) == 2


def test_force_refresh_skips_the_read_and_replaces_the_entry(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "HIT"
    upstream.default = Reply(text="a fresher answer")
    refreshed, headers = gw.ask(client, question, **{"x-portkey-cache-force-refresh": "true"})
    assert (refreshed, headers[STATUS]) == ("a fresher answer", "REFRESH")
    again, headers = gw.ask(client, question)
    assert (again, headers[STATUS]) == ("a fresher answer", "HIT")
    assert len(upstream.requests) == 2
    assert gw.lookups("exact", "simple", "refresh") == 1


def test_namespace_partitions_entries(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    ns = "x-portkey-cache-namespace"
    assert gw.ask(client, question, **{ns: "team-a"})[1][STATUS] == "MISS"
    assert gw.ask(client, question, **{ns: "team-b"})[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question, **{ns: "team-a"})[1][STATUS] == "HIT"
    assert gw.ask(client, question, **{ns: "team-b"})[1][STATUS] == "HIT"
    assert len(upstream.requests) == 3


def test_cached_answer_is_replayed_as_a_valid_stream(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    answer, _ = gw.ask(client, question)
    streamed, headers = gw.ask_streaming(client, question)
    assert (streamed, headers[STATUS]) == (answer, "HIT")
    assert headers["content-type"].startswith("text/event-stream")
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}], "stream": True}
    raw = httpx.post(
        gw.server.url + "/chat/completions", json=body, headers={"x-portkey-config": "exact"}, timeout=30
    )
    frames = [frame for frame in raw.text.split("\n\n") if frame]
    assert all(frame.startswith("data: ") for frame in frames)
    assert frames[-1] == "data: [DONE]" and '"finish_reason":"stop"' in frames[-2]
    assert len(upstream.requests) == 1


def test_completed_stream_is_cached_for_streaming_and_plain_requests(
    gw: CacheGateway, upstream: FakeOpenAI
) -> None:
    client, question = gw.client("exact"), _question()
    streamed, headers = gw.ask_streaming(client, question)
    assert (streamed, headers[STATUS]) == ("hello from cache-upstream", "MISS")
    replayed, headers = gw.ask_streaming(client, question)
    plain, plain_headers = gw.ask(client, question)
    assert (replayed, headers[STATUS]) == (streamed, "HIT")
    assert (plain, plain_headers[STATUS]) == (streamed, "HIT")
    assert len(upstream.requests) == 1


def test_broken_stream_is_never_cached(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    upstream.script(Reply(break_after=2))
    with pytest.raises(openai.APIError):
        gw.ask_streaming(client, question)
    assert gw.ask_streaming(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "HIT"  # the complete second stream was stored
    assert len(upstream.requests) == 2


def test_upstream_error_is_never_cached(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client, question = gw.client("exact"), _question()
    upstream.script(Reply(status=500))
    with pytest.raises(openai.InternalServerError) as failed:
        gw.ask(client, question)
    assert failed.value.response.headers[STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert len(upstream.requests) == 2


def test_request_rejected_before_routing_still_reports_the_cache_status(gw: CacheGateway) -> None:
    bad = [
        ({"model": "gpt-4o-mini"}, {}),  # no messages
        ({"model": "gpt-4o-mini", "messages": []}, {"x-portkey-metadata": "not json"}),
        (
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            {"x-portkey-config": "nope"},
        ),
    ]
    for body, headers in bad:
        response = httpx.post(
            gw.server.url + "/chat/completions",
            json=body,
            headers={"x-portkey-config": "exact", **headers},
            timeout=30,
        )
        assert response.status_code == 400
        assert response.headers[STATUS] == "DISABLED"


def test_portkey_header_config_with_a_cache_is_served_from_it(
    start_gateway: StartFn, upstream: FakeOpenAI
) -> None:
    gw = start_gateway(ROUTES, {"GW_ALLOWED_CUSTOM_HOSTS": "127.0.0.1"})
    config = {
        "provider": "openai",
        "api_key": "sk-from-the-header",
        "custom_host": upstream.url,
        "cache": {"mode": "simple", "max_age": 60},
    }
    client, question = gw.client(json.dumps(config)), _question()
    assert gw.ask(client, question)[1][STATUS] == "MISS"
    assert gw.ask(client, question)[1][STATUS] == "HIT"
    assert len(upstream.requests) == 1


GUARDED = """kind: guardrail
id: no_email
applies_to: [output]
action: redact
checks:
  - type: pii
    parameters: {kinds: [email]}
---
kind: route
id: guarded
provider: up
output_guardrails: [no_email]
cache: {mode: simple, max_age: 600}
"""


def test_redacted_answer_is_what_the_cache_keeps(start_gateway: StartFn, upstream: FakeOpenAI) -> None:
    gw = start_gateway({}, manifests=GUARDED)
    upstream.default = Reply(text="Write to jane.doe@example.com for access.")
    client, question = gw.client("guarded"), _question()
    first, _ = gw.ask(client, question)
    again, headers = gw.ask(client, question)
    streamed, stream_headers = gw.ask_streaming(client, question)
    assert "jane.doe@example.com" not in first
    assert (again, headers[STATUS]) == (first, "HIT")
    assert (streamed, stream_headers[STATUS]) == (first, "HIT")
    assert len(upstream.requests) == 1
