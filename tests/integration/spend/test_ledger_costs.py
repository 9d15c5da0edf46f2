"""The ledger prices each request from the pricing manifests, through the real server and SDK.

Golden figures (USD per million tokens from `gateway.PRICING`):

* gpt-4o, 1000 prompt tokens of which 400 cached, 500 output:
  600 × 2.50 + 400 × 1.25 + 500 × 10.00 = 7000 µUSD → 0.007
* o3-mini, 2000 prompt tokens of which 1024 cached, 1500 output of which 1200 reasoning:
  976 × 1.10 + 1024 × 0.55 + 1500 × 4.40 = 8236.8 µUSD → 0.0082368 (reasoning at the output price)
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.spend.conftest import StartFn, completion

pytestmark = [pytest.mark.integration]

QUESTION = [{"role": "user", "content": "what is the capital of France?"}]


def test_cost_of_each_request_is_priced_with_cached_and_reasoning_tokens(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    key_id, secret = gateway.create_key()
    client = gateway.client(secret, **{"x-portkey-config": "chat"})
    upstream.script(
        Reply(body=completion("gpt-4o-2024-08-06", prompt=1000, output=500, cached=400)),
        Reply(body=completion("o3-mini-2025-01-31", prompt=2000, output=1500, cached=1024, reasoning=1200)),
        Reply(body=completion("mystery-1", prompt=50, output=50)),
    )
    first = client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
    client.chat.completions.create(model="o3-mini", messages=QUESTION)  # type: ignore[arg-type]
    client.chat.completions.create(model="mystery-1", messages=QUESTION)  # type: ignore[arg-type]
    assert first.usage is not None
    assert first.usage.prompt_tokens_details is not None
    assert first.usage.prompt_tokens_details.cached_tokens == 400
    rows = {row["model"]: row for row in gateway.wait_ledger(3)}
    gpt, o3, mystery = rows["gpt-4o"], rows["o3-mini"], rows["mystery-1"]
    assert math.isclose(gpt["cost_usd"], 0.007, abs_tol=1e-9)
    assert (gpt["prompt_tokens"], gpt["cached_read_tokens"], gpt["completion_tokens"]) == (1000, 400, 500)
    assert math.isclose(o3["cost_usd"], 0.0082368, abs_tol=1e-9)
    assert (o3["cached_read_tokens"], o3["reasoning_tokens"]) == (1024, 1200)
    assert mystery["cost_usd"] is None
    assert mystery["completion_tokens"] == 50
    assert {row["key_id"] for row in rows.values()} == {key_id}
    assert {row["route_id"] for row in rows.values()} == {"chat"}
    assert {row["provider_id"] for row in rows.values()} == {"up"}
    report = gateway.admin("GET", "/admin/usage", params={"group_by": "model"}).json()
    assert report["total"]["requests"] == 3
    assert report["total"]["unpriced_requests"] == 1
    assert math.isclose(report["total"]["cost_usd"], 0.0152368, abs_tol=1e-9)


def test_cache_hit_costs_nothing_and_records_the_saving(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    _, secret = gateway.create_key()
    client = gateway.client(secret, **{"x-portkey-config": "cached"})
    upstream.default = Reply(body=completion("gpt-4o", prompt=1000, output=500, cached=400))
    miss = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
    assert miss.headers["x-portkey-cache-status"] == "MISS"
    gateway.wait_ledger(1)  # the store happens off the request path; the row is written after it
    hit = _hit(gateway, secret)
    assert hit == "HIT"
    assert len(upstream.requests) == 1
    rows = sorted(gateway.wait_ledger(2), key=lambda row: row["ts"])
    stored, served = rows[0], rows[-1]
    assert math.isclose(stored["cost_usd"], 0.007, abs_tol=1e-9)
    assert stored["saved_usd"] in (None, 0.0)
    assert served["cache_status"] == "HIT"
    assert served["cost_usd"] == 0.0
    assert math.isclose(served["saved_usd"], 0.007, abs_tol=1e-9)
    report = gateway.admin("GET", "/admin/usage").json()["total"]
    assert report["cache_hits"] == 1
    assert math.isclose(report["saved_usd"], 0.007, abs_tol=1e-9)
    assert math.isclose(report["cost_usd"], 0.007, abs_tol=1e-9)


def _hit(gateway: object, secret: str) -> str:
    """Ask again until the store (off the request path) has landed; return the cache status."""
    from tests.integration.spend.gateway import SpendGateway

    assert isinstance(gateway, SpendGateway)
    client = gateway.client(secret, **{"x-portkey-config": "cached"})
    for _ in range(50):
        response = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
        status = response.headers["x-portkey-cache-status"]
        if status == "HIT":
            return status
    return status


def test_usage_report_cli_and_admin_api_give_the_same_numbers(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    key_a, secret_a = gateway.create_key(name="team-a")
    key_b, secret_b = gateway.create_key(name="team-b", requests_per_minute=2)
    upstream.default = Reply(body=completion("gpt-4o", prompt=1000, output=500, cached=400))
    for secret, count in ((secret_a, 3), (secret_b, 3)):  # team-b's third request is refused (429)
        client = gateway.client(secret, **{"x-portkey-config": "chat"})
        for _ in range(count):
            try:
                client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
            except Exception as exc:  # the refusal is part of the traffic being reported
                assert "rate limit" in str(exc)
    gateway.wait_ledger(6)
    for group_by in ("route", "model", "key", "day", "provider"):
        api = gateway.admin("GET", "/admin/usage", params={"group_by": group_by, "since": "1d"})
        assert api.status_code == 200, api.text
        cli = _cli_report(gateway.database_url, "--group-by", group_by, "--since", "1d")
        assert _numbers(api.json()) == _numbers(cli)
    by_key = gateway.admin("GET", "/admin/usage", params={"group_by": "key"}).json()
    groups = {g["group"]: g for g in by_key["groups"]}
    assert groups[key_a]["requests"] == 3
    assert (groups[key_b]["requests"], groups[key_b]["errors"]) == (3, 1)
    assert math.isclose(by_key["total"]["cost_usd"], 5 * 0.007, abs_tol=1e-9)
    assert by_key["total"]["unpriced_requests"] == 0  # the refusal used no tokens: nothing unpriced
    one_key = gateway.admin("GET", "/admin/usage", params={"key": key_b}).json()
    assert one_key == _cli_report(gateway.database_url, "--key", key_b)


def _cli_report(database_url: str, *args: str) -> dict[str, object]:
    import json

    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "usage", "report", "--format", "json", *args],
        env={"GW_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def _numbers(report: dict[str, object]) -> tuple[object, object]:
    return report["groups"], report["total"]


def test_budget_remaining_header_reports_the_budget_after_settling(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    _, secret = gateway.create_key(budget_usd=1.0, budget_period="monthly")
    client = gateway.client(secret, **{"x-portkey-config": "chat"})
    upstream.default = Reply(body=completion("gpt-4o", prompt=20, output=10))  # 0.00015 USD
    for left in ("0.999850", "0.999700"):
        response = client.chat.completions.with_raw_response.create(
            model="gpt-4o",
            messages=QUESTION,  # type: ignore[arg-type]
            max_tokens=100,  # held: up to 100 output tokens, far above what the call used
        )
        assert response.headers["x-gw-budget-remaining"] == left


def test_streamed_request_is_priced_from_the_usage_chunk(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    key_id, secret = gateway.create_key()
    client = gateway.client(secret, **{"x-portkey-config": "chat"})
    upstream.default = Reply()  # the fake's stream ends with usage: 5 prompt, 4 completion tokens
    stream = client.chat.completions.create(model="gpt-4o", messages=QUESTION, stream=True)  # type: ignore[arg-type]
    chunks = list(stream)
    assert all(chunk.usage is None for chunk in chunks)  # the client did not ask for the usage chunk
    (row,) = gateway.wait_ledger(1, "key_id = :k", k=key_id)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (5, 4)
    assert math.isclose(row["cost_usd"], 5 * 2.5e-6 + 4 * 10e-6, abs_tol=1e-12)
