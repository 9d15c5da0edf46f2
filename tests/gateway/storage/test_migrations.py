"""Migrations on SQLite: the startup guard, upgrade, downgrade, and models that match the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from gateway.storage.database import make_sync_engine
from gateway.storage.migrations import (
    DatabaseNotMigrated,
    check_migrated,
    check_migrated_async,
    current_revision,
    head_revision,
    upgrade,
)
from gateway.storage.models import Base


def test_empty_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(DatabaseNotMigrated, match="run `gw db upgrade`"):
        check_migrated(url)


async def test_async_guard_refuses_an_empty_database_too(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotMigrated, match="gw db upgrade"):
        await check_migrated_async(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_upgrade_creates_every_table_and_satisfies_the_guard(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'gw.db'}"
    upgrade(url)
    check_migrated(url)
    assert current_revision(url) == head_revision()
    engine = make_sync_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"virtual_keys", "provider_credentials", "usage_ledger", "budget_periods"} <= tables


async def test_guard_passes_through_the_async_driver_after_upgrade(sqlite_url: str) -> None:
    await check_migrated_async(sqlite_url)


def test_database_behind_the_code_is_refused_naming_both_revisions(sqlite_url: str) -> None:
    engine = make_sync_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    finally:
        engine.dispose()
    with pytest.raises(DatabaseNotMigrated, match=r"at schema revision 0000, this gw needs 0001"):
        check_migrated(sqlite_url)


def test_upgrade_twice_is_a_no_op(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    check_migrated(sqlite_url)


def test_downgrade_to_base_drops_the_tables(sqlite_url: str) -> None:
    from alembic import command
    from gateway.storage.migrations import alembic_config

    engine = make_sync_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert "usage_ledger" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(sqlite_url: str) -> None:
    engine = make_sync_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


async def test_checking_a_missing_sqlite_file_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "gw.db"
    with pytest.raises(DatabaseNotMigrated):
        check_migrated(f"sqlite:///{path}")
    with pytest.raises(DatabaseNotMigrated):
        await check_migrated_async(f"sqlite:///{path}")
    assert not path.exists()
