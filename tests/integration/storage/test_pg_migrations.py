"""Migrations on a real PostgreSQL: guard, upgrade, models match, downgrade and upgrade again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from alembic import command
from gateway.storage.database import make_sync_engine
from gateway.storage.migrations import (
    DatabaseNotMigrated,
    alembic_config,
    check_migrated,
    check_migrated_async,
    current_revision,
    head_revision,
    upgrade,
)
from gateway.storage.models import Base

pytestmark = pytest.mark.integration

TABLES = {"virtual_keys", "provider_credentials", "usage_ledger", "budget_periods"}


def table_names(url: str) -> set[str]:
    engine = make_sync_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


async def test_postgres_migrates_up_down_and_up_with_the_guard_following(pg_db_url: str) -> None:
    with pytest.raises(DatabaseNotMigrated, match="has no gw schema: run `gw db upgrade`"):
        check_migrated(pg_db_url)
    with pytest.raises(DatabaseNotMigrated):
        await check_migrated_async(pg_db_url)

    upgrade(pg_db_url)
    check_migrated(pg_db_url)
    await check_migrated_async(pg_db_url)
    assert current_revision(pg_db_url) == head_revision()
    assert table_names(pg_db_url) >= TABLES

    engine = make_sync_engine(pg_db_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
    finally:
        engine.dispose()
    assert not table_names(pg_db_url) & TABLES
    with pytest.raises(DatabaseNotMigrated):
        check_migrated(pg_db_url)
    upgrade(pg_db_url)
    check_migrated(pg_db_url)


def test_unreachable_postgres_is_reported_without_the_password(pg_db_url: str) -> None:
    url = "postgresql://gw:hunter2-secret@127.0.0.1:1/nowhere"
    with pytest.raises(DatabaseNotMigrated) as info:
        check_migrated(url)
    assert "hunter2-secret" not in str(info.value)
    assert "gw db upgrade" in str(info.value) and "OperationalError" in str(info.value)
