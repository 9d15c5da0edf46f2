"""`KeyStore` for the executor: `Authorization: Bearer gw-…` → VirtualKey, constant-time, cached.

Lookup is by the SHA-256 of the presented secret (an indexed equality that reveals nothing about
the secret), then the stored hash is compared with `hmac.compare_digest`. Verified keys are cached:
for `fresh_s` seconds without asking the database (so revocation reaches every replica within that
time), and for up to `stale_s` seconds while the database is unreachable, so an outage does not
lock out known callers. A lookup gives up after `lookup_timeout_s` (a partitioned network hangs
rather than fails), and after a failure the database is left alone for `retry_s` so requests are
not each held up by it. Unknown secrets are never cached. Messages name the key id, never the secret.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from gateway.errors import AuthError, GatewayError
from gateway.ports import VirtualKey
from gateway.storage.deadline import Deadlines
from gateway.storage.key_records import as_utc, key_state, virtual_key
from gateway.storage.models import VirtualKeyRow
from gateway.storage.tokens import KEY_PREFIX, hash_token, looks_like_token

__all__ = ["KeyStoreUnavailable", "SqlKeyStore"]

log = logging.getLogger(__name__)


class KeyStoreUnavailable(GatewayError):
    """The key database is unreachable and the key is not in the verified cache."""

    status = 503
    type = "api_error"


@dataclass(frozen=True, slots=True)
class _Verified:
    key: VirtualKey
    key_hash: str
    expires_at: datetime | None
    verified_at: float


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlKeyStore:
    """Authenticates gw secrets against `virtual_keys`; implements `gateway.ports.KeyStore`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        fresh_s: float = 5.0,
        stale_s: float = 300.0,
        max_entries: int = 10_000,
        lookup_timeout_s: float = 2.0,
        retry_s: float = 1.0,
        clock: Callable[[], datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._fresh_s = fresh_s
        self._stale_s = stale_s
        self._max_entries = max_entries
        self._clock = clock
        self._monotonic = monotonic
        self._lookup_timeout_s = lookup_timeout_s
        self._retry_s = retry_s
        self._cache: dict[str, _Verified] = {}
        self._down_until = 0.0
        self._deadlines = Deadlines()
        self._inflight: dict[str, asyncio.Future[_Verified | None]] = {}

    async def authenticate(self, token: str) -> VirtualKey:
        """Return the key for a bearer secret, or raise AuthError (unknown, revoked, expired)."""
        if not looks_like_token(token):
            raise AuthError(
                f"invalid API key: gw keys start with `{KEY_PREFIX}`; pass one as `Authorization: Bearer`",
                code="invalid_api_key",
            )
        digest = hash_token(token)
        cached = self._cache.get(digest)
        now = self._monotonic()
        if cached is not None and now - cached.verified_at < self._fresh_s:
            return self._usable(cached, digest)
        if now < self._down_until:
            return self._during_outage(cached, digest, now, None)
        try:
            entry = await self._shared_load(digest, now)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            self._down_until = self._monotonic() + self._retry_s
            return self._during_outage(cached, digest, now, exc)
        if entry is None:
            self._cache.pop(digest, None)
            raise AuthError("invalid API key: no such key (it may have been rotated)", code="invalid_api_key")
        return self._usable(entry, digest)

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache at once (after a revoke or rotate in this process)."""
        for digest in [d for d, v in self._cache.items() if v.key.id == key_id]:
            del self._cache[digest]

    async def _shared_load(self, digest: str, now: float) -> _Verified | None:
        """One database lookup per secret at a time: the concurrent first requests of a key share it
        (200 at once would otherwise queue on the connection pool past the lookup timeout, and the
        timeout would mark the database down)."""
        pending = self._inflight.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(
                self._deadlines.run(self._load(digest, now), self._lookup_timeout_s)
            )
            self._inflight[digest] = pending
            pending.add_done_callback(lambda done: self._landed(digest, done))
        try:
            # Shielded: a waiter that goes away (client disconnect) does not cancel the others' lookup.
            return await asyncio.shield(pending)
        except AuthError as exc:  # each request gets its own error object (handlers add headers)
            raise AuthError(exc.message, code=exc.code) from None

    def _landed(self, digest: str, done: asyncio.Future[_Verified | None]) -> None:
        self._inflight.pop(digest, None)
        if not done.cancelled():
            done.exception()  # retrieved here, so a lookup whose waiters all left is not reported

    async def _load(self, digest: str, now: float) -> _Verified | None:
        async with self._sessions() as session:
            row = (
                await session.scalars(select(VirtualKeyRow).where(VirtualKeyRow.key_hash == digest))
            ).first()
        if row is None:
            return None
        # Index lookups are not constant-time; the final equality on the secret's hash is.
        if not hmac.compare_digest(row.key_hash.encode("ascii"), digest.encode("ascii")):
            return None
        state = key_state(row, self._clock())
        if state == "revoked":
            self._cache.pop(digest, None)
            raise AuthError(
                f"API key {row.id} was revoked; ask an administrator for a new key", code="revoked_api_key"
            )
        entry = _Verified(virtual_key(row), row.key_hash, as_utc(row.expires_at), now)
        if len(self._cache) >= self._max_entries:
            self._cache.clear()
        self._cache[digest] = entry
        return entry

    def _usable(self, entry: _Verified, digest: str) -> VirtualKey:
        if not hmac.compare_digest(entry.key_hash.encode("ascii"), digest.encode("ascii")):
            raise AuthError("invalid API key: no such key (it may have been rotated)", code="invalid_api_key")
        if entry.expires_at is not None and entry.expires_at <= self._clock():
            raise AuthError(
                f"API key {entry.key.id} expired at {entry.expires_at.isoformat()}; ask for a new key",
                code="expired_api_key",
            )
        return entry.key

    def _during_outage(
        self, cached: _Verified | None, digest: str, now: float, exc: BaseException | None
    ) -> VirtualKey:
        error = "recent failure" if exc is None else type(exc).__name__
        if cached is not None and now - cached.verified_at < self._stale_s:
            if exc is not None:
                log.warning(
                    "key database unreachable; using the verified cache",
                    extra={"gw.key_id": cached.key.id, "gw.error": error},
                )
            return self._usable(cached, digest)
        log.error("key database unreachable; cannot authenticate", extra={"gw.error": error})
        raise KeyStoreUnavailable(
            "the key store is unreachable; retry shortly",
            code="key_store_unavailable",
            headers={"Retry-After": str(max(1, round(self._retry_s)))},
        ) from None
