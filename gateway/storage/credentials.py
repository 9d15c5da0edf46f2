"""Provider credentials held for a virtual key (or for everyone), encrypted at rest with Fernet."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.errors import NotFound, RequestError
from gateway.storage.crypto import CredentialCipher
from gateway.storage.key_records import as_utc
from gateway.storage.models import ProviderCredentialRow, VirtualKeyRow
from gateway.storage.tokens import new_key_id

__all__ = ["CredentialInfo", "CredentialStore"]

log = logging.getLogger(__name__)


class CredentialInfo(msgspec.Struct, kw_only=True):
    """A stored credential as admins see it: where it applies, never what it is."""

    id: str
    key_id: str | None
    provider_id: str
    updated_at: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _where(key_id: str | None, provider_id: str) -> list[ColumnElement[bool]]:
    key_clause = (
        ProviderCredentialRow.key_id.is_(None) if key_id is None else ProviderCredentialRow.key_id == key_id
    )
    return [key_clause, ProviderCredentialRow.provider_id == provider_id]


class CredentialStore:
    """Sets, reads and re-encrypts provider credentials; plaintext exists only in return values."""

    def __init__(
        self, engine: AsyncEngine, cipher: CredentialCipher, *, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._cipher = cipher
        self._clock = clock

    async def put(self, key_id: str | None, provider_id: str, secret: str) -> CredentialInfo:
        """Store (or replace) the credential for a provider, for one key or globally (`key_id=None`)."""
        if not secret:
            raise RequestError("the credential is empty", param="secret")
        now = self._clock()
        ciphertext = self._cipher.encrypt(secret)
        async with self._sessions.begin() as session:
            if key_id is not None and await session.get(VirtualKeyRow, key_id) is None:
                raise NotFound(f"no virtual key with id {key_id!r}", param="key_id")
            row = await self._find(session, key_id, provider_id)
            if row is None:
                row = ProviderCredentialRow(
                    id="cred_" + new_key_id().removeprefix("key_"),
                    key_id=key_id,
                    provider_id=provider_id,
                    ciphertext=ciphertext,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
            else:
                row.ciphertext = ciphertext
                row.updated_at = now
        log.info("provider credential stored", extra={"gw.key_id": key_id, "gw.provider": provider_id})
        return CredentialInfo(id=row.id, key_id=key_id, provider_id=provider_id, updated_at=now)

    async def get(self, key_id: str | None, provider_id: str) -> str | None:
        """The plaintext credential for a key and provider, falling back to the global one."""
        async with self._sessions() as session:
            row = await self._find(session, key_id, provider_id)
            if row is None and key_id is not None:
                row = await self._find(session, None, provider_id)
        return None if row is None else self._cipher.decrypt(row.ciphertext)

    async def list_for(self, key_id: str | None) -> list[CredentialInfo]:
        """Which providers have a credential for the key (no secrets)."""
        clause = (
            ProviderCredentialRow.key_id.is_(None)
            if key_id is None
            else ProviderCredentialRow.key_id == key_id
        )
        async with self._sessions() as session:
            rows = (await session.scalars(select(ProviderCredentialRow).where(clause))).all()
        return [
            CredentialInfo(
                id=r.id,
                key_id=r.key_id,
                provider_id=r.provider_id,
                updated_at=as_utc(r.updated_at) or r.updated_at,
            )
            for r in sorted(rows, key=lambda r: r.provider_id)
        ]

    async def delete(self, key_id: str | None, provider_id: str) -> bool:
        """Remove a credential; False when there was none."""
        async with self._sessions.begin() as session:
            row = await self._find(session, key_id, provider_id)
            if row is None:
                return False
            await session.delete(row)
        return True

    async def rotate_encryption(self) -> int:
        """Re-encrypt every credential under the newest key of `GW_ENCRYPTION_KEY`; return the count."""
        async with self._sessions.begin() as session:
            rows = (await session.scalars(select(ProviderCredentialRow).with_for_update())).all()
            for row in rows:
                row.ciphertext = self._cipher.rotate(row.ciphertext)
        log.info("provider credentials re-encrypted", extra={"gw.count": len(rows)})
        return len(rows)

    @staticmethod
    async def _find(
        session: AsyncSession, key_id: str | None, provider_id: str
    ) -> ProviderCredentialRow | None:
        stmt = select(ProviderCredentialRow).where(*_where(key_id, provider_id))
        return (await session.scalars(stmt)).first()
