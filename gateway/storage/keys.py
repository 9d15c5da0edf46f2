"""The key service: create, list, show, rotate and revoke virtual keys.

Both `gw keys …` and the admin API (`/admin/keys`) call this; neither touches the tables directly.
A secret is returned once, by `create` and `rotate`, and only its hash is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.errors import NotFound, RequestError
from gateway.storage.key_records import CreatedKey, KeyInfo, NewKey, as_utc, key_info
from gateway.storage.models import VirtualKeyRow
from gateway.storage.tokens import display_prefix, hash_token, new_key_id, new_token

__all__ = ["KeyService"]

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _check_new(new: NewKey) -> None:
    if not new.name.strip():
        raise RequestError("a key needs a non-empty name", param="name")
    for field, value in (
        ("requests_per_minute", new.requests_per_minute),
        ("tokens_per_minute", new.tokens_per_minute),
        ("budget_usd", new.budget_usd),
    ):
        if value is not None and value <= 0:
            raise RequestError(f"`{field}` must be positive, got {value}", param=field)


class KeyService:
    """Admin operations on virtual keys (async; one short transaction each)."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    async def create(self, new: NewKey) -> CreatedKey:
        """Create a key; the returned secret is not stored anywhere and cannot be shown again."""
        _check_new(new)
        now = self._clock()
        expires = as_utc(new.expires_at)
        if expires is not None and expires <= now:
            raise RequestError("`expires_at` is in the past", param="expires_at")
        secret = new_token()
        row = VirtualKeyRow(
            id=new_key_id(),
            name=new.name.strip(),
            key_hash=hash_token(secret),
            prefix=display_prefix(secret),
            tags=sorted(set(new.tags)),
            metadata_=dict(new.metadata),
            allowed_routes=sorted(set(new.allowed_routes)),
            allowed_models=sorted(set(new.allowed_models)),
            requests_per_minute=new.requests_per_minute,
            tokens_per_minute=new.tokens_per_minute,
            budget_usd=new.budget_usd,
            budget_period=new.budget_period,
            created_at=now,
            expires_at=expires,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        log.info("virtual key created", extra={"gw.key_id": row.id, "gw.key_name": row.name})
        return CreatedKey(key=key_info(row, now), secret=secret)

    async def list_keys(self, *, include_inactive: bool = False) -> list[KeyInfo]:
        """Every key, oldest first; revoked and expired ones only when asked."""
        now = self._clock()
        async with self._sessions() as session:
            rows = (await session.scalars(select(VirtualKeyRow).order_by(VirtualKeyRow.created_at))).all()
        infos = [key_info(row, now) for row in rows]
        return infos if include_inactive else [info for info in infos if info.state == "active"]

    async def show(self, key_id: str) -> KeyInfo:
        """One key by id; NotFound when there is none."""
        async with self._sessions() as session:
            row = await self._row(session, key_id)
        return key_info(row, self._clock())

    async def rotate(self, key_id: str) -> CreatedKey:
        """Give the key a new secret; the old secret stops working at once (after cache expiry)."""
        now = self._clock()
        secret = new_token()
        async with self._sessions.begin() as session:
            row = await self._row(session, key_id)
            if row.revoked_at is not None:
                raise RequestError(f"key {key_id} is revoked and cannot be rotated; create a new key")
            row.key_hash = hash_token(secret)
            row.prefix = display_prefix(secret)
            row.rotated_at = now
        log.info("virtual key rotated", extra={"gw.key_id": key_id})
        return CreatedKey(key=key_info(row, now), secret=secret)

    async def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key for good (idempotent: revoking twice keeps the first time)."""
        now = self._clock()
        async with self._sessions.begin() as session:
            row = await self._row(session, key_id)
            if row.revoked_at is None:
                row.revoked_at = now
        log.info("virtual key revoked", extra={"gw.key_id": key_id})
        return key_info(row, now)

    @staticmethod
    async def _row(session: AsyncSession, key_id: str) -> VirtualKeyRow:
        row = await session.get(VirtualKeyRow, key_id)
        if row is None:
            raise NotFound(f"no virtual key with id {key_id!r}", param="key_id")
        return row
