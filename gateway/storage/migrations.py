"""Schema migrations: `gw db upgrade` runs them; the server refuses to start on an unmigrated database.

The Alembic scripts live at the repository root (`alembic/`, `alembic.ini`); `GW_ALEMBIC_INI`
points elsewhere when gw is deployed without its source tree.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from alembic import command
from gateway.storage.database import display_url, make_async_engine, make_sync_engine, sqlite_file_missing

__all__ = [
    "DatabaseNotMigrated",
    "alembic_config",
    "check_migrated",
    "check_migrated_async",
    "current_revision",
    "head_revision",
    "upgrade",
]

_REPO_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


class DatabaseNotMigrated(RuntimeError):
    """The database is unreachable, empty or behind the code's schema; the message says what to run."""


def alembic_config(url: str | None = None) -> Config:
    """Alembic's config for gw's scripts, optionally bound to a database URL."""
    ini = Path(os.environ.get("GW_ALEMBIC_INI") or _REPO_INI)
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "alembic"))
    if url is not None:
        # ConfigParser treats % as interpolation: escape it so passwords with % survive.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; run from the CLI or a thread)."""
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _revision_of(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None when never migrated)."""
    if sqlite_file_missing(url):
        return None
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return _revision_of(conn)
    finally:
        engine.dispose()


def _verdict(url: str, current: str | None) -> None:
    head = head_revision()
    if current == head:
        return
    where = display_url(url)
    if current is None:
        raise DatabaseNotMigrated(f"database {where} has no gw schema: run `gw db upgrade` first")
    raise DatabaseNotMigrated(
        f"database {where} is at schema revision {current}, this gw needs {head}: run `gw db upgrade`"
    )


def _unreachable(url: str, exc: SQLAlchemyError) -> DatabaseNotMigrated:
    return DatabaseNotMigrated(
        f"cannot read the schema revision of {display_url(url)} ({type(exc).__name__}); "
        "check GW_DATABASE_URL, then run `gw db upgrade`"
    )


def check_migrated(url: str) -> None:
    """Raise DatabaseNotMigrated unless the database is at the head revision (blocking)."""
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        raise _unreachable(url, exc) from None
    _verdict(url, current)


async def check_migrated_async(url: str) -> None:
    """`check_migrated` for a running event loop, through the async driver."""
    if sqlite_file_missing(url):
        _verdict(url, None)
    engine = make_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(_revision_of)
    except SQLAlchemyError as exc:
        raise _unreachable(url, exc) from None
    finally:
        await engine.dispose()
    _verdict(url, current)
