"""Where the database is and how to reach it: URL normalisation and engine construction.

`GW_DATABASE_URL` accepts the forms people type (`sqlite:///./var/gw.db`, `postgresql://u:p@h/db`,
`postgres://…`) and each is turned into the sync URL Alembic and the CLI use and the async URL the
server uses (aiosqlite or psycopg's async mode): nothing blocks the event loop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "DEFAULT_DATABASE_URL",
    "async_url",
    "database_url",
    "display_url",
    "make_async_engine",
    "make_sync_engine",
    "sqlite_file_missing",
    "sync_url",
]

DEFAULT_DATABASE_URL = "sqlite:///./var/gw.db"
SQLITE_BUSY_TIMEOUT_S = 15.0
PG_CONNECT_TIMEOUT_S = 5


def database_url(environ: dict[str, str] | None = None) -> str:
    """Return `GW_DATABASE_URL`, or the SQLite file default."""
    env = os.environ if environ is None else environ
    return env.get("GW_DATABASE_URL") or DEFAULT_DATABASE_URL


def _backend(url: URL) -> str:
    name = url.get_backend_name()
    if name in ("postgres", "postgresql"):
        return "postgresql"
    if name == "sqlite":
        return "sqlite"
    raise ValueError(f"unsupported database `{name}`: use a sqlite:/// or postgresql:// URL")


def sync_url(url: str) -> URL:
    """The URL with a synchronous driver (pysqlite, psycopg)."""
    parsed = make_url(url)
    if _backend(parsed) == "sqlite":
        return parsed.set(drivername="sqlite")
    return parsed.set(drivername="postgresql+psycopg")


def async_url(url: str) -> URL:
    """The URL with an asyncio driver (aiosqlite, psycopg async)."""
    parsed = make_url(url)
    if _backend(parsed) == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    return parsed.set(drivername="postgresql+psycopg")


def display_url(url: str | URL) -> str:
    """The URL with its password masked, for messages and logs."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def sqlite_file_missing(url: str) -> bool:
    """Whether the URL names a SQLite file that does not exist yet (checking must not create it)."""
    parsed = make_url(url)
    if _backend(parsed) != "sqlite":
        return False
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    return not Path(database).expanduser().exists()


def _prepare_sqlite_file(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:  # Any: DBAPI connection
    cursor = dbapi_connection.cursor()
    # WAL lets the CLI read while the server writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _connect_args(url: URL) -> dict[str, Any]:  # Any: driver-specific keyword arguments
    if _backend(url) == "sqlite":
        return {"timeout": SQLITE_BUSY_TIMEOUT_S}
    # A partitioned network drops packets instead of refusing: keepalives and tcp_user_timeout make
    # libpq notice a dead peer within ~10 s instead of the kernel's minutes.
    return {
        "connect_timeout": PG_CONNECT_TIMEOUT_S,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
    }


def make_sync_engine(url: str) -> Engine:
    """A blocking engine, for migrations and the CLI."""
    target = sync_url(url)
    if _backend(target) == "sqlite":
        _prepare_sqlite_file(target)
    engine = create_engine(target, connect_args=_connect_args(target), pool_pre_ping=True)
    if _backend(target) == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def make_async_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """An asyncio engine for the server; connections are checked before use so an outage heals."""
    target = async_url(url)
    if _backend(target) == "sqlite":
        _prepare_sqlite_file(target)
        engine = create_async_engine(target, connect_args=_connect_args(target), pool_pre_ping=True)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(
        target,
        connect_args=_connect_args(target),
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
    )
