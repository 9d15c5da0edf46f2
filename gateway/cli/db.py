"""`gw db upgrade|check|current`: the schema; plus how every storage command reaches the database.

Importing this module is cheap (argparse only): SQLAlchemy and Alembic load when a command runs.
`keys` and `usage` use `add_url_option` and `run_storage` so all storage commands share one URL
option, one way to open the database and one mapping of failures to exit codes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["EXIT_FAILED", "EXIT_OK", "add_url_option", "fail", "register", "run_storage"]

EXIT_OK = 0
EXIT_FAILED = 1
T = TypeVar("T")


def add_url_option(parser: argparse.ArgumentParser) -> None:
    """`--database-url`, defaulting to GW_DATABASE_URL or the SQLite file."""
    parser.add_argument(
        "--database-url",
        dest="database_url",
        metavar="URL",
        help="database URL (default: $GW_DATABASE_URL or sqlite:///./var/gw.db)",
    )


def _url(args: argparse.Namespace) -> str:
    from gateway.storage.database import database_url

    return str(args.database_url or database_url())


def fail(message: str) -> int:
    """Print an error the way every gw command does and return the failure exit code."""
    sys.stderr.write(f"gw: error: {message}\n")
    return EXIT_FAILED


def run_storage(args: argparse.Namespace, work: Callable[[AsyncEngine], Awaitable[T]]) -> T | int:
    """Check the schema, run `work` with an async engine, and turn known failures into exit code 1."""
    from gateway.errors import GatewayError
    from gateway.storage.crypto import EncryptionKeyError
    from gateway.storage.database import make_async_engine
    from gateway.storage.migrations import DatabaseNotMigrated, check_migrated

    url = _url(args)

    async def main() -> T:
        engine = make_async_engine(url, pool_size=1)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        check_migrated(url)
        return asyncio.run(main())
    except (GatewayError, DatabaseNotMigrated, EncryptionKeyError) as exc:
        return fail(getattr(exc, "message", str(exc)))


def _upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.storage.database import display_url
    from gateway.storage.migrations import current_revision, upgrade

    url = _url(args)
    try:
        before = current_revision(url)
        upgrade(url, args.revision)
        after = current_revision(url)
    except SQLAlchemyError as exc:
        return fail(f"cannot migrate {display_url(url)}: {type(exc).__name__}")
    verb = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    sys.stdout.write(f"{display_url(url)}: {verb} revision {after}\n")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from gateway.storage.database import display_url
    from gateway.storage.migrations import DatabaseNotMigrated, check_migrated

    url = _url(args)
    try:
        check_migrated(url)
    except DatabaseNotMigrated as exc:
        return fail(str(exc))
    sys.stdout.write(f"{display_url(url)}: schema is current\n")
    return EXIT_OK


def _current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.storage.database import display_url
    from gateway.storage.migrations import current_revision, head_revision

    url = _url(args)
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        return fail(f"cannot read {display_url(url)}: {type(exc).__name__}")
    sys.stdout.write(f"current: {current or '(empty)'}\nhead:    {head_revision()}\n")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw db …` to the top-level parser."""
    db = subparsers.add_parser("db", help="database schema: upgrade, check, current")
    commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    upgrade = commands.add_parser("upgrade", help="apply pending migrations (run before `gw serve`)")
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    check = commands.add_parser("check", help="exit 1 unless the schema is current")
    current = commands.add_parser("current", help="show the database's and the code's revisions")
    for parser, handler in ((upgrade, _upgrade), (check, _check), (current, _current)):
        add_url_option(parser)
        parser.set_defaults(handler=handler)
