"""The first requests of a new key arriving together share one database lookup.

Without sharing, 200 concurrent first requests queue on the connection pool past the lookup timeout,
the timeout marks the database down and callers get 503 `key_store_unavailable` for a healthy key.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from gateway.errors import AuthError
from gateway.storage import KeyService, NewKey, SqlKeyStore, make_async_engine

pytestmark = [pytest.mark.integration]


async def test_concurrent_first_requests_of_a_key_share_one_lookup(sqlite_url: str) -> None:
    engine = make_async_engine(sqlite_url)
    try:
        created = await KeyService(engine).create(NewKey(name="herd"))
        store = SqlKeyStore(engine)
        lookups: list[str] = []

        def count(conn: object, cursor: object, statement: str, *args: object) -> None:
            if "FROM virtual_keys" in statement:
                lookups.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        keys = await asyncio.gather(*(store.authenticate(created.secret) for _ in range(200)))
        assert {key.id for key in keys} == {created.key.id}
        assert len(lookups) == 1
    finally:
        await engine.dispose()


async def test_a_revoked_key_refused_to_many_callers_gives_each_its_own_error(sqlite_url: str) -> None:
    engine = make_async_engine(sqlite_url)
    try:
        service = KeyService(engine)
        created = await service.create(NewKey(name="gone"))
        await service.revoke(created.key.id)
        store = SqlKeyStore(engine)
        results = await asyncio.gather(
            *(store.authenticate(created.secret) for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(r, AuthError) and r.code == "revoked_api_key" for r in results)
        assert len({id(r) for r in results}) == 20
    finally:
        await engine.dispose()
