"""Keys, credentials, the ledger, reports and budget periods on a real PostgreSQL (psycopg async)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import AuthError
from gateway.ports import UsageRecord
from gateway.storage.budgets import BudgetPeriodStore
from gateway.storage.credentials import CredentialStore
from gateway.storage.crypto import CredentialCipher, generate_encryption_key
from gateway.storage.key_records import NewKey
from gateway.storage.keys import KeyService
from gateway.storage.keystore import SqlKeyStore
from gateway.storage.ledger import LedgerSink
from gateway.storage.reports import usage_report
from gateway.storage.stack import open_storage
from gateway.usage import Usage

pytestmark = pytest.mark.integration


async def test_key_lifecycle_and_authentication_on_postgres(pg_engine: AsyncEngine) -> None:
    service = KeyService(pg_engine)
    store = SqlKeyStore(pg_engine, fresh_s=0.0)
    created = await service.create(NewKey(name="pg", tags=["t"], metadata={"team": "ml"}))
    assert (await store.authenticate(created.secret)).metadata == (("team", "ml"),)
    rotated = await service.rotate(created.key.id)
    with pytest.raises(AuthError, match="no such key"):
        await store.authenticate(created.secret)
    await service.revoke(created.key.id)
    with pytest.raises(AuthError, match="revoked"):
        await store.authenticate(rotated.secret)
    infos = await service.list_keys(include_inactive=True)
    assert [(i.id, i.state) for i in infos] == [(created.key.id, "revoked")]
    assert infos[0].created_at.tzinfo is not None


async def test_credentials_are_encrypted_and_rotated_on_postgres(pg_engine: AsyncEngine) -> None:
    old, new = generate_encryption_key(), generate_encryption_key()
    key = (await KeyService(pg_engine).create(NewKey(name="c"))).key
    await CredentialStore(pg_engine, CredentialCipher([old])).put(key.id, "openai", "sk-pg-secret")
    async with pg_engine.connect() as conn:
        raw = (await conn.execute(text("SELECT ciphertext FROM provider_credentials"))).scalar_one()
    assert b"sk-pg-secret" not in bytes(raw)
    assert await CredentialStore(pg_engine, CredentialCipher([new, old])).rotate_encryption() == 1
    assert await CredentialStore(pg_engine, CredentialCipher([new])).get(key.id, "openai") == "sk-pg-secret"


async def test_ledger_and_report_on_postgres_sum_exactly(pg_engine: AsyncEngine, tmp_path: Path) -> None:
    async with LedgerSink(pg_engine, tmp_path / "spool.jsonl", batch_size=50) as sink:
        for n in range(300):
            sink.record(
                UsageRecord(
                    trace_id=f"t{n}",
                    ts=1_795_000_000.0 + n * 600,
                    key_id=f"key_{n % 3}",
                    route_id="chat",
                    model="gpt-4o" if n % 10 else "unpriced",
                    usage=Usage(prompt_tokens=100, completion_tokens=10, cached_read_tokens=n % 2),
                    cost_usd=0.001 if n % 10 else None,
                    status=200 if n % 50 else 502,
                )
            )
    by_key = await usage_report(pg_engine, group_by="key")
    assert sorted((g.group, g.requests) for g in by_key.groups) == [
        ("key_0", 100),
        ("key_1", 100),
        ("key_2", 100),
    ]
    total = by_key.total
    assert (total.requests, total.prompt_tokens, total.cached_read_tokens) == (300, 30_000, 150)
    assert total.unpriced_requests == 30 and total.errors == 6
    assert total.cost_usd == pytest.approx(0.27)
    by_day = await usage_report(pg_engine, group_by="day")
    assert sum(g.requests for g in by_day.groups) == 300 and len(by_day.groups) == 3


async def test_budget_additions_from_many_connections_lose_nothing(pg_engine: AsyncEngine) -> None:
    store = BudgetPeriodStore(pg_engine)
    await asyncio.gather(*(store.add("budget:b:global", "2026-11-01", spent_usd=0.25) for _ in range(100)))
    assert (await store.get("budget:b:global", "2026-11-01")).spent_usd == pytest.approx(25.0)


async def test_open_storage_builds_working_handles(pg_migrated_url: str, tmp_path: Path) -> None:
    storage = await open_storage(
        pg_migrated_url,
        spool_path=tmp_path / "spool.jsonl",
        environ={"GW_ENCRYPTION_KEY": generate_encryption_key()},
    )
    try:
        created = await storage.keys.create(NewKey(name="stack"))
        assert (await storage.keystore.authenticate(created.secret)).id == created.key.id
        assert storage.credentials is not None
        storage.ledger.record(UsageRecord(trace_id="stack", ts=1_795_000_000.0, key_id=created.key.id))
    finally:
        await storage.aclose()
    report = await usage_report(storage.engine, key_id=created.key.id)
    await storage.engine.dispose()
    assert report.total.requests == 1
