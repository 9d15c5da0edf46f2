"""Key security: unknown, malformed, revoked, expired and rotated keys; constant-time comparison; caching."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import AuthError
from gateway.storage import keystore as keystore_module
from gateway.storage.key_records import NewKey
from gateway.storage.keys import KeyService
from gateway.storage.keystore import KeyStoreUnavailable, SqlKeyStore


class Clock:
    """A settable wall clock and monotonic clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
        self.mono = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_store(engine: AsyncEngine, clock: Clock, **kwargs: float) -> SqlKeyStore:
    return SqlKeyStore(engine, clock=clock.wall, monotonic=clock.monotonic, **kwargs)  # type: ignore[arg-type]


async def test_created_key_authenticates_with_its_attributes(engine: AsyncEngine, clock: Clock) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(
        NewKey(
            name="team-a",
            tags=["prod", "team-a"],
            metadata={"cost_center": "42"},
            allowed_routes=["chat"],
            allowed_models=["gpt-4o"],
            requests_per_minute=60,
            tokens_per_minute=10_000,
            budget_usd=5.0,
            budget_period="daily",
        )
    )
    key = await make_store(engine, clock).authenticate(created.secret)
    assert key.id == created.key.id
    assert key.tags == ("prod", "team-a")
    assert key.metadata == (("cost_center", "42"),)
    assert key.allowed_routes == ("chat",)
    assert key.allowed_models == ("gpt-4o",)
    assert (key.requests_per_minute, key.tokens_per_minute) == (60, 10_000)
    assert (key.budget_usd, key.budget_period) == (5.0, "daily")


async def test_unknown_key_is_rejected_without_echoing_it(engine: AsyncEngine, clock: Clock) -> None:
    token = "gw-" + "A" * 43
    with pytest.raises(AuthError) as info:
        await make_store(engine, clock).authenticate(token)
    assert info.value.status == 401
    assert "no such key" in info.value.message
    assert token not in str(info.value.body()) and "AAAA" not in info.value.message


@pytest.mark.parametrize("token", ["", "sk-openai-looking-key-1234567890", "gw-short", "Bearer gw-x"])
async def test_malformed_bearer_is_rejected_before_any_lookup(
    engine: AsyncEngine, clock: Clock, token: str
) -> None:
    with pytest.raises(AuthError) as info:
        await make_store(engine, clock).authenticate(token)
    assert "gw keys start with `gw-`" in info.value.message
    assert info.value.code == "invalid_api_key"
    if token:
        assert token not in info.value.message


async def test_revoked_key_is_rejected_with_a_message_naming_the_key_id(
    engine: AsyncEngine, clock: Clock
) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="gone"))
    store = make_store(engine, clock, fresh_s=0.0)
    await store.authenticate(created.secret)
    await service.revoke(created.key.id)
    with pytest.raises(AuthError) as info:
        await store.authenticate(created.secret)
    assert info.value.code == "revoked_api_key"
    assert created.key.id in info.value.message and "revoked" in info.value.message
    assert created.secret not in info.value.message


async def test_revocation_reaches_a_caching_store_once_the_fresh_window_passes(
    engine: AsyncEngine, clock: Clock
) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="cached"))
    store = make_store(engine, clock, fresh_s=5.0)
    await store.authenticate(created.secret)
    await service.revoke(created.key.id)
    await store.authenticate(created.secret)  # still inside the 5 s window: served from cache
    clock.advance(5.1)
    with pytest.raises(AuthError, match="revoked"):
        await store.authenticate(created.secret)


async def test_expired_key_is_rejected(engine: AsyncEngine, clock: Clock) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="temp", expires_at=clock.now + timedelta(hours=1)))
    store = make_store(engine, clock)
    await store.authenticate(created.secret)
    clock.advance(3600)
    with pytest.raises(AuthError) as info:
        await store.authenticate(created.secret)
    assert info.value.code == "expired_api_key"
    assert created.key.id in info.value.message and "expired" in info.value.message


async def test_key_that_expires_while_cached_is_rejected_from_the_cache(
    engine: AsyncEngine, clock: Clock
) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="temp", expires_at=clock.now + timedelta(seconds=2)))
    store = make_store(engine, clock, fresh_s=60.0)
    await store.authenticate(created.secret)
    clock.now += timedelta(seconds=3)  # wall time moves, the cache entry is still fresh
    with pytest.raises(AuthError, match="expired"):
        await store.authenticate(created.secret)


async def test_rotation_retires_the_old_secret_and_the_new_one_works(
    engine: AsyncEngine, clock: Clock
) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="rot"))
    store = make_store(engine, clock, fresh_s=0.0)
    rotated = await service.rotate(created.key.id)
    assert rotated.secret != created.secret and rotated.key.id == created.key.id
    with pytest.raises(AuthError, match="no such key"):
        await store.authenticate(created.secret)
    assert (await store.authenticate(rotated.secret)).id == created.key.id


async def test_forget_drops_a_key_from_the_cache_at_once(engine: AsyncEngine, clock: Clock) -> None:
    service = KeyService(engine, clock=clock.wall)
    created = await service.create(NewKey(name="rot"))
    store = make_store(engine, clock, fresh_s=60.0)
    await store.authenticate(created.secret)
    await service.revoke(created.key.id)
    store.forget(created.key.id)
    with pytest.raises(AuthError, match="revoked"):
        await store.authenticate(created.secret)


async def test_secret_hashes_are_compared_with_hmac_compare_digest(
    engine: AsyncEngine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keystore_module.hmac, "compare_digest", spy)
    created = await KeyService(engine, clock=clock.wall).create(NewKey(name="t"))
    await make_store(engine, clock).authenticate(created.secret)
    assert calls, "authenticate must compare through hmac.compare_digest"
    assert all(len(a) == len(b) == 64 for a, b in calls)


async def test_only_the_hash_of_a_secret_is_stored(engine: AsyncEngine, clock: Clock) -> None:
    created = await KeyService(engine, clock=clock.wall).create(NewKey(name="t"))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM virtual_keys"))).all()
    dump = repr(rows)
    assert created.secret not in dump
    assert created.secret[len(created.key.prefix) :] not in dump
    assert created.key.prefix in dump


async def test_known_key_keeps_working_through_a_database_outage_for_a_bounded_time(
    engine: AsyncEngine, clock: Clock
) -> None:
    created = await KeyService(engine, clock=clock.wall).create(NewKey(name="t"))
    other = await KeyService(engine, clock=clock.wall).create(NewKey(name="never-seen"))
    store = make_store(engine, clock, fresh_s=5.0, stale_s=60.0)
    await store.authenticate(created.secret)
    async with engine.begin() as conn:  # the table disappearing stands in for an unreachable database
        await conn.execute(text("ALTER TABLE virtual_keys RENAME TO virtual_keys_away"))
    clock.advance(30)
    assert (await store.authenticate(created.secret)).id == created.key.id
    with pytest.raises(KeyStoreUnavailable) as info:
        await store.authenticate(other.secret)
    assert info.value.status == 503 and info.value.headers == {"Retry-After": "1"}
    clock.advance(31)
    with pytest.raises(KeyStoreUnavailable):
        await store.authenticate(created.secret)


async def test_after_a_failed_lookup_the_database_is_left_alone_for_retry_s(
    engine: AsyncEngine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await KeyService(engine, clock=clock.wall).create(NewKey(name="t"))
    store = SqlKeyStore(engine, fresh_s=1.0, retry_s=2.0, clock=clock.wall, monotonic=clock.monotonic)
    await store.authenticate(created.secret)
    lookups = 0
    real_load = store._load

    async def failing_load(digest: str, now: float) -> None:
        nonlocal lookups
        lookups += 1
        raise OSError("connection refused")

    monkeypatch.setattr(store, "_load", failing_load)
    clock.advance(1.5)
    await store.authenticate(created.secret)  # fails over to the cache, starts the back-off
    clock.advance(1.0)
    await store.authenticate(created.secret)  # inside retry_s: no lookup at all
    assert lookups == 1
    clock.advance(1.5)
    monkeypatch.setattr(store, "_load", real_load)
    assert (await store.authenticate(created.secret)).id == created.key.id
