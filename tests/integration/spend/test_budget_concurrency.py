"""200 concurrent requests against a key budget that holds exactly 50 of them, through the real server.

Each request asks for `max_tokens=10` of the `flat` model (input free, 0.001 USD per output token)
and the upstream reports 10 output tokens, so every call costs exactly 0.01 USD and a 0.50 USD
budget allows exactly 50: reserve → settle must admit no more, whatever the interleaving.
"""

from __future__ import annotations

import asyncio
import math

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.spend.conftest import StartFn, completion
from tests.integration.spend.gateway import SpendGateway
from tests.services import ValkeyServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REQUESTS = 200
ALLOWED = 50
PRICE = 0.01
BUDGET = ALLOWED * PRICE


async def _one(client: openai.AsyncOpenAI) -> tuple[int, dict[str, str], object]:
    try:
        response = await client.chat.completions.with_raw_response.create(
            model="flat",
            messages=[{"role": "user", "content": "how many moons has Mars?"}],
            max_tokens=10,
            extra_headers={"x-portkey-config": "chat"},
        )
    except openai.APIStatusError as exc:
        return exc.status_code, dict(exc.response.headers), exc.body
    return response.status_code, dict(response.headers), None


async def _storm(gateway: SpendGateway, upstream: FakeOpenAI, *, tagged: bool = False) -> None:
    # A little latency upstream so that many calls are in flight at once.
    upstream.default = Reply(body=completion("flat", prompt=12, output=10), delay_s=0.05)
    if tagged:  # two keys sharing the `capped_team` manifest budget (key_tag scope)
        keys = [gateway.create_key(tags=["capped"]) for _ in range(2)]
    else:
        keys = [gateway.create_key(budget_usd=BUDGET, budget_period="total")]
    clients = [gateway.async_client(secret) for _, secret in keys]
    try:
        results = await asyncio.gather(*(_one(clients[n % len(clients)]) for n in range(REQUESTS)))
    finally:
        for client in clients:
            await client.close()
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] != 200]
    assert len(ok) == ALLOWED
    assert len(upstream.requests) == ALLOWED
    assert {status for status, _, _ in refused} == {429}
    for _, headers, body in refused:
        assert isinstance(body, dict)
        assert body["type"] == body["code"] == "budget_exceeded"
        assert float(headers["x-gw-budget-remaining"]) < PRICE
        assert headers["x-should-retry"] == "false"
    rows = gateway.wait_ledger(REQUESTS, "key_id IN (:a, :b)", a=keys[0][0], b=keys[-1][0])
    assert len(rows) == REQUESTS
    spent = sum(row["cost_usd"] for row in rows if row["cost_usd"] is not None)
    assert spent <= BUDGET + 1e-9
    assert math.isclose(spent, BUDGET, abs_tol=1e-9)
    assert sorted(row["status"] for row in rows) == [200] * ALLOWED + [429] * (REQUESTS - ALLOWED)


async def test_exactly_the_budget_is_admitted_in_process_with_sqlite(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    await _storm(start_gateway(sqlite_url), upstream)


async def test_exactly_the_budget_is_admitted_with_valkey_and_postgresql(
    start_gateway: StartFn, pg_spend_url: str, valkey_server: ValkeyServer, upstream: FakeOpenAI
) -> None:
    await _storm(start_gateway(pg_spend_url, valkey_url=valkey_server.url), upstream)


async def test_a_key_tag_budget_is_shared_by_every_key_carrying_the_tag(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    await _storm(start_gateway(sqlite_url), upstream, tagged=True)


def test_spend_survives_a_restart_of_the_in_process_counters(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    upstream.default = Reply(body=completion("flat", prompt=12, output=10))
    first = start_gateway(sqlite_url)
    key_id, secret = first.create_key(budget_usd=5 * PRICE, budget_period="daily")

    def ask(gateway: SpendGateway) -> int:
        client = gateway.client(secret, **{"x-portkey-config": "chat"})
        try:
            client.chat.completions.create(
                model="flat",
                messages=[{"role": "user", "content": "hi"}],
                max_tokens=10,
            )
        except openai.APIStatusError as exc:
            return exc.status_code
        return 200

    assert [ask(first) for _ in range(3)] == [200, 200, 200]
    first.stop()  # flushes the spend journal to budget_periods
    second = start_gateway(sqlite_url)  # fresh in-process counters, restored from the database
    assert [ask(second) for _ in range(3)] == [200, 200, 429]
    assert len(second.wait_ledger(6, "key_id = :k", k=key_id)) == 6
