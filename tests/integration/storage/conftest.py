"""A private, migrated PostgreSQL database per test module, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.database import make_async_engine
from gateway.storage.migrations import upgrade


@pytest.fixture(scope="module")
def pg_db_url(pg_url: str) -> Iterator[str]:
    """An empty database of its own on the shared cluster (other suites use `gw_test`)."""
    name = f"gw_storage_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


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
