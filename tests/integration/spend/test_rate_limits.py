"""A key's requests-per-minute limit through the real server: 429 with `Retry-After`, upstream spared."""

from __future__ import annotations

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.spend.conftest import StartFn
from tests.services import ValkeyServer

pytestmark = [pytest.mark.integration]

MESSAGES = [{"role": "user", "content": "name a prime number"}]


def _exhaust(start: StartFn, database_url: str, upstream: FakeOpenAI, valkey_url: str | None) -> None:
    gateway = start(database_url, valkey_url=valkey_url)
    _, secret = gateway.create_key(requests_per_minute=3)
    client = gateway.client(secret, **{"x-portkey-config": "chat"})
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    response = refused.value.response
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert int(response.headers["retry-after-ms"]) > 0
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "rate_limit_exceeded"
    assert "rate limit exceeded" in error["message"]
    assert len(upstream.requests) == 3
    # Another key has its own window.
    _, other = gateway.create_key()
    gateway.client(other, **{"x-portkey-config": "chat"}).chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,  # type: ignore[arg-type]
    )
    rows = gateway.wait_ledger(5)
    assert sorted(row["status"] for row in rows) == [200, 200, 200, 200, 429]


def test_key_rpm_limit_answers_429_with_retry_after_in_process(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    _exhaust(start_gateway, sqlite_url, upstream, None)


def test_key_rpm_limit_answers_429_with_retry_after_through_valkey(
    start_gateway: StartFn, pg_spend_url: str, valkey_server: ValkeyServer, upstream: FakeOpenAI
) -> None:
    _exhaust(start_gateway, pg_spend_url, upstream, valkey_server.url)


def test_key_tpm_limit_refuses_once_the_window_holds_the_limit(
    start_gateway: StartFn, sqlite_url: str, upstream: FakeOpenAI
) -> None:
    gateway = start_gateway(sqlite_url)
    _, secret = gateway.create_key(tokens_per_minute=50)  # each call uses 30 tokens (20 in, 10 out)
    client = gateway.client(secret, **{"x-portkey-config": "chat"})
    for _ in range(2):  # 0 then 30 tokens in the window: both admitted
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as refused:  # 60 ≥ 50
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    assert int(refused.value.response.headers["retry-after"]) >= 1
    assert "token" in refused.value.response.json()["error"]["message"]
    assert len(upstream.requests) == 2
