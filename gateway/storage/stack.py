"""One call that builds every storage handle the server needs from a URL, and one that closes them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.budgets import BudgetPeriodStore
from gateway.storage.credentials import CredentialStore
from gateway.storage.crypto import CredentialCipher
from gateway.storage.database import database_url, make_async_engine
from gateway.storage.keys import KeyService
from gateway.storage.keystore import SqlKeyStore
from gateway.storage.ledger import LedgerSink
from gateway.storage.migrations import check_migrated_async

__all__ = ["DEFAULT_SPOOL_PATH", "Storage", "open_storage"]

DEFAULT_SPOOL_PATH = "./var/usage-spool.jsonl"


@dataclass(frozen=True, slots=True)
class Storage:
    """Live storage handles; `keystore` and `ledger` implement the executor's ports."""

    engine: AsyncEngine
    keys: KeyService
    keystore: SqlKeyStore
    ledger: LedgerSink
    budgets: BudgetPeriodStore
    credentials: CredentialStore | None
    """None when `GW_ENCRYPTION_KEY` is not set (per-key provider credentials are then unavailable)."""

    async def aclose(self) -> None:
        """Flush the ledger (to the database or the spool) and close the connection pool."""
        await self.ledger.aclose()
        await self.engine.dispose()


async def open_storage(
    url: str | None = None, *, spool_path: Path | None = None, environ: dict[str, str] | None = None
) -> Storage:
    """Check the schema is current (raising DatabaseNotMigrated if not), then build and start everything."""
    env = dict(os.environ if environ is None else environ)
    target = url or database_url(env)
    await check_migrated_async(target)
    engine = make_async_engine(target)
    spool = spool_path or Path(env.get("GW_USAGE_SPOOL") or DEFAULT_SPOOL_PATH)
    ledger = LedgerSink(engine, spool)
    await ledger.start()
    credentials = (
        CredentialStore(engine, CredentialCipher.from_env(env)) if env.get("GW_ENCRYPTION_KEY") else None
    )
    return Storage(
        engine=engine,
        keys=KeyService(engine),
        keystore=SqlKeyStore(engine),
        ledger=ledger,
        budgets=BudgetPeriodStore(engine),
        credentials=credentials,
    )
