"""Storage: virtual keys, encrypted provider credentials, the usage ledger, reports, budget periods.

Entry points: `open_storage()` (stack) builds the handles; `SqlKeyStore` and `LedgerSink` implement
`gateway.ports.KeyStore` and `UsageSink`; `KeyService`, `CredentialStore` and `usage_report` back the
CLI and the admin API; `check_migrated` / `upgrade` guard and evolve the schema.
"""

from __future__ import annotations

from gateway.storage.budgets import BudgetPeriodStore, PeriodSpend, period_start
from gateway.storage.credentials import CredentialInfo, CredentialStore
from gateway.storage.crypto import CredentialCipher, EncryptionKeyError, generate_encryption_key
from gateway.storage.database import database_url, make_async_engine, make_sync_engine
from gateway.storage.key_records import CreatedKey, KeyInfo, NewKey
from gateway.storage.keys import KeyService
from gateway.storage.keystore import KeyStoreUnavailable, SqlKeyStore
from gateway.storage.ledger import LedgerSink, LedgerStats
from gateway.storage.migrations import DatabaseNotMigrated, check_migrated, check_migrated_async, upgrade
from gateway.storage.reports import UsageGroup, UsageReport, parse_since, usage_report
from gateway.storage.stack import Storage, open_storage

__all__ = [
    "BudgetPeriodStore",
    "CreatedKey",
    "CredentialCipher",
    "CredentialInfo",
    "CredentialStore",
    "DatabaseNotMigrated",
    "EncryptionKeyError",
    "KeyInfo",
    "KeyService",
    "KeyStoreUnavailable",
    "LedgerSink",
    "LedgerStats",
    "NewKey",
    "PeriodSpend",
    "SqlKeyStore",
    "Storage",
    "UsageGroup",
    "UsageReport",
    "check_migrated",
    "check_migrated_async",
    "database_url",
    "generate_encryption_key",
    "make_async_engine",
    "make_sync_engine",
    "open_storage",
    "parse_since",
    "period_start",
    "upgrade",
    "usage_report",
]
