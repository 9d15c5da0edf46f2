"""A private, migrated PostgreSQL database per test module, dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.database import make_async_engine
from gateway.storage.migrations import upgrade
from tests.integration.storage.databases import private_database


@pytest.fixture(scope="module")
def pg_db_url(pg_url: str) -> Iterator[str]:
    """An empty database of its own on the shared cluster (other suites use `gw_test`)."""
    with private_database(pg_url, "gw_storage") as url:
        yield url


@pytest.fixture(scope="module")
def pg_migrated_url(pg_db_url: str) -> str:
    """The private database, migrated to head."""
    upgrade(pg_db_url)
    return pg_db_url


@pytest.fixture
async def pg_engine(pg_migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An async (psycopg) engine on the migrated database, with the tables emptied first."""
    engine = make_async_engine(pg_migrated_url)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "TRUNCATE usage_ledger, budget_periods, provider_credentials, virtual_keys CASCADE"
        )
    yield engine
    await engine.dispose()
