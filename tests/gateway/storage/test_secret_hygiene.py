"""No gw secret, provider credential or encryption key in any log line or error body.

Every logger is captured at DEBUG, SQLAlchemy's statement logging included (which logs bound
parameters), while keys and credentials go through their whole life; then every record, its
arguments and extra attributes, and every error body are scanned.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.errors import AuthError, GatewayError
from gateway.storage.credentials import CredentialStore
from gateway.storage.crypto import CredentialCipher, generate_encryption_key
from gateway.storage.database import make_async_engine
from gateway.storage.key_records import NewKey
from gateway.storage.keys import KeyService
from gateway.storage.keystore import SqlKeyStore

PROVIDER_SECRET = "sk-ant-api03-HYGIENE-provider-secret-value"


def record_text(record: logging.LogRecord) -> str:
    return " ".join([record.getMessage(), repr(record.args), repr(vars(record)), str(record.exc_info)])


async def test_no_secret_reaches_logs_or_error_bodies(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    engine = make_async_engine(sqlite_url)  # created after the level is set: it logs parameters
    fernet_key = generate_encryption_key()
    keys = KeyService(engine)
    store = SqlKeyStore(engine, fresh_s=0.0)
    creds = CredentialStore(engine, CredentialCipher([fernet_key]))
    errors: list[GatewayError] = []
    secrets: list[str] = []

    live = await keys.create(NewKey(name="live"))
    doomed = await keys.create(NewKey(name="doomed"))
    short = await keys.create(
        NewKey(name="short", expires_at=datetime.now(UTC) + timedelta(milliseconds=300))
    )
    secrets += [live.secret, doomed.secret, short.secret]
    await store.authenticate(live.secret)
    await creds.put(live.key.id, "anthropic", PROVIDER_SECRET)
    assert await creds.get(live.key.id, "anthropic") == PROVIDER_SECRET
    await CredentialStore(
        engine, CredentialCipher([generate_encryption_key(), fernet_key])
    ).rotate_encryption()
    await keys.revoke(doomed.key.id)
    rotated = await keys.rotate(live.key.id)
    secrets.append(rotated.secret)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    await asyncio.sleep(0.35)
    for token in (live.secret, doomed.secret, short.secret, "gw-" + "Z" * 43, "sk-not-a-gw-key-0000000000"):
        with pytest.raises(AuthError) as info:
            await store.authenticate(token)
        errors.append(info.value)
    await engine.dispose()

    assert {e.code for e in errors} == {"invalid_api_key", "revoked_api_key", "expired_api_key"}
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records), "statements were logged"
    assert any(r.name.startswith("gateway.storage") for r in caplog.records), "gw events were logged"
    haystack = "\n".join(record_text(r) for r in caplog.records)
    haystack += "\n".join(str(e.body()) + e.message for e in errors)
    for needle in [*secrets, PROVIDER_SECRET, fernet_key, "sk-not-a-gw-key-0000000000", "Z" * 43]:
        assert needle not in haystack
