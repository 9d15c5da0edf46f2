"""Tenant isolation with storage on (SQLite): virtual keys created through the storage API, the cache
partitioned per key (or per key tag, by policy), and the ledger recording what a hit saved."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.storage import KeyService, NewKey, make_async_engine, make_sync_engine, upgrade
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.caching.conftest import StartFn

pytestmark = pytest.mark.integration

STATUS = "x-portkey-cache-status"
ROUTES: dict[str, str | None] = {"exact": "{mode: simple, max_age: 600}"}


async def _create_keys(url: str, tags: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    engine = make_async_engine(url)
    try:
        service = KeyService(engine)
        out = {}
        for name, key_tags in tags.items():
            created = await service.create(NewKey(name=name, tags=key_tags))
            out[name] = (created.key.id, created.secret)
        return out
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite database of its own."""
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    return url


def _storage_env(database: str, tmp_path: Path) -> dict[str, str]:
    return {"GW_DATABASE_URL": database, "GW_USAGE_SPOOL": str(tmp_path / "spool.jsonl")}


def _keys(database: str) -> dict[str, tuple[str, str]]:
    """Keys a and b share the tag `team-x`; c is tagged `team-y`; d has no tag."""
    tags = {"a": ["team-x"], "b": ["team-x"], "c": ["team-y"], "d": []}
    return asyncio.run(_create_keys(database, tags))


@pytest.fixture(params=["memory", "valkey"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Exact entries in-process (`memory`) or in a real Valkey (`valkey`)."""
    if request.param == "valkey":
        return {"GW_VALKEY_URL": request.getfixturevalue("valkey_server").url}
    return {}


def test_two_keys_asking_the_same_question_never_share_an_answer(
    start_gateway: StartFn, database: str, tmp_path: Path, upstream: FakeOpenAI, backend: dict[str, str]
) -> None:
    keys = _keys(database)
    gw = start_gateway(ROUTES, {**_storage_env(database, tmp_path), **backend})
    a, b = gw.client("exact", keys["a"][1]), gw.client("exact", keys["b"][1])
    question = f"What is our internal roadmap? {uuid.uuid4().hex}"
    assert gw.ask(a, question)[1][STATUS] == "MISS"
    assert gw.ask(b, question)[1][STATUS] == "MISS"
    assert gw.ask(a, question)[1][STATUS] == "HIT"
    assert gw.ask(b, question)[1][STATUS] == "HIT"
    anonymous = gw.client("exact")
    assert gw.ask(anonymous, question)[1][STATUS] == "MISS"
    # A namespace is no way into another tenant's partition, whatever it spells.
    key_a = keys["a"][0]
    for spoof in (key_a, f"key:{key_a}", f'["key","{key_a}"]'):
        assert gw.ask(anonymous, question, **{"x-portkey-cache-namespace": spoof})[1][STATUS] == "MISS"
    assert len(upstream.requests) == 6


def test_key_tag_policy_shares_entries_within_a_tag_only(
    start_gateway: StartFn, database: str, tmp_path: Path, upstream: FakeOpenAI, backend: dict[str, str]
) -> None:
    keys = _keys(database)
    env = {**_storage_env(database, tmp_path), **backend}
    gw = start_gateway(ROUTES, env, policy="cache_partition: key_tag\n")
    question = f"What is the team's on-call rota? {uuid.uuid4().hex}"
    statuses = {
        name: gw.ask(gw.client("exact", keys[name][1]), question)[1][STATUS] for name in ("a", "b", "c", "d")
    }
    assert statuses == {"a": "MISS", "b": "HIT", "c": "MISS", "d": "MISS"}
    assert len(upstream.requests) == 3


def _ledger(database: str, count: int) -> list[dict[str, Any]]:
    """The ledger rows, once `count` have been written (the sink writes them off the request path)."""
    engine = make_sync_engine(database)
    try:
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                result = conn.execute(sa.text("SELECT * FROM usage_ledger ORDER BY ts"))
                rows = [dict(r) for r in result.mappings()]
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_cache_hit_costs_nothing_and_records_the_saving(
    start_gateway: StartFn, database: str, tmp_path: Path
) -> None:
    keys = _keys(database)
    gw = start_gateway(ROUTES, _storage_env(database, tmp_path))
    client, question = gw.client("exact", keys["a"][1]), f"How much does this cost? {uuid.uuid4().hex}"
    gw.ask(client, question)
    gw.ask(client, question)
    gw.ask_streaming(client, question)
    rows = _ledger(database, 3)
    assert [row["cache_status"] for row in rows] == ["MISS", "HIT", "HIT"]
    miss, hit, streamed = rows
    assert miss["cost_usd"] > 0 and miss["saved_usd"] is None
    for row in (hit, streamed):
        assert row["key_id"] == keys["a"][0]
        assert row["cost_usd"] == 0
        assert row["saved_usd"] == pytest.approx(miss["cost_usd"])
