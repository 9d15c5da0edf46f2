"""Alembic environment for gw: runs migrations online with a synchronous driver (pysqlite / psycopg).

The URL comes from, in order: a connection handed in by `gateway.storage.migrations`, the config's
`sqlalchemy.url`, `-x url=...` on the alembic command line, then `GW_DATABASE_URL`.
"""

from __future__ import annotations

from sqlalchemy import Connection

from alembic import context
from gateway.storage.database import database_url, make_sync_engine
from gateway.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    return context.get_x_argument(as_dictionary=True).get("url") or database_url()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run every pending migration against the configured database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_sync_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("gw migrations run online only: give a database URL")
run_migrations_online()
