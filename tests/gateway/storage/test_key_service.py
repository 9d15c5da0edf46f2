"""The key service behind `gw keys` and `/admin/keys`: create, list, show, rotate, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import NotFound, RequestError
from gateway.storage.key_records import KeyInfo, NewKey
from gateway.storage.keys import KeyService
from gateway.storage.tokens import KEY_PREFIX, hash_token


async def test_created_secret_is_shown_once_with_a_human_prefix(engine: AsyncEngine) -> None:
    created = await KeyService(engine).create(NewKey(name="  team-a  ", tags=["b", "a", "a"]))
    assert created.secret.startswith(KEY_PREFIX) and len(created.secret) == 46
    assert created.secret.startswith(created.key.prefix) and len(created.key.prefix) == 11
    assert created.key.name == "team-a" and created.key.tags == ["a", "b"]
    assert created.key.state == "active" and created.key.id.startswith("key_")
    shown = await KeyService(engine).show(created.key.id)
    assert created.secret not in msgspec.json.encode(shown).decode()
    assert hash_token(created.secret) not in msgspec.json.encode(shown).decode()


async def test_list_hides_revoked_and_expired_keys_unless_asked(engine: AsyncEngine) -> None:
    now = [datetime(2026, 11, 26, tzinfo=UTC)]
    service = KeyService(engine, clock=lambda: now[0])
    live = await service.create(NewKey(name="live"))
    gone = await service.create(NewKey(name="gone"))
    soon = await service.create(NewKey(name="soon", expires_at=now[0] + timedelta(days=1)))
    await service.revoke(gone.key.id)
    now[0] += timedelta(days=2)
    assert [k.id for k in await service.list_keys()] == [live.key.id]
    states = {k.name: k.state for k in await service.list_keys(include_inactive=True)}
    assert states == {"live": "active", "gone": "revoked", "soon": "expired"}
    assert soon.key.expires_at is not None


async def test_revoke_is_idempotent_and_keeps_the_first_time(engine: AsyncEngine) -> None:
    times = iter(
        [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)]
    )
    service = KeyService(engine, clock=lambda: next(times))
    created = await service.create(NewKey(name="k"))
    first = await service.revoke(created.key.id)
    second = await service.revoke(created.key.id)
    assert first.revoked_at == second.revoked_at == datetime(2026, 1, 2, tzinfo=UTC)


async def test_revoked_key_cannot_be_rotated(engine: AsyncEngine) -> None:
    service = KeyService(engine)
    created = await service.create(NewKey(name="k"))
    await service.revoke(created.key.id)
    with pytest.raises(RequestError, match="revoked and cannot be rotated"):
        await service.rotate(created.key.id)


async def test_rotation_changes_secret_and_prefix_and_stamps_the_time(engine: AsyncEngine) -> None:
    service = KeyService(engine)
    created = await service.create(NewKey(name="k"))
    rotated = await service.rotate(created.key.id)
    assert rotated.key.prefix != created.key.prefix and rotated.key.rotated_at is not None


@pytest.mark.parametrize("operation", ["show", "rotate", "revoke"])
async def test_unknown_key_id_is_not_found(engine: AsyncEngine, operation: str) -> None:
    with pytest.raises(NotFound, match="no virtual key with id 'key_missing'"):
        await getattr(KeyService(engine), operation)("key_missing")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewKey(name=" "), "non-empty name"),
        (NewKey(name="k", requests_per_minute=0), "`requests_per_minute` must be positive"),
        (NewKey(name="k", budget_usd=-1.0), "`budget_usd` must be positive"),
        (NewKey(name="k", expires_at=datetime(2000, 1, 1, tzinfo=UTC)), "in the past"),
    ],
)
async def test_invalid_new_keys_are_refused(engine: AsyncEngine, new: NewKey, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        await KeyService(engine).create(new)


def test_admin_api_bodies_decode_into_new_key_and_reject_typos() -> None:
    body = b'{"name": "k", "tags": ["x"], "budget_usd": 5, "expires_at": "2030-01-01T00:00:00Z"}'
    new = msgspec.json.decode(body, type=NewKey)
    assert new.budget_usd == 5 and new.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(msgspec.ValidationError, match="budget_usdd"):
        msgspec.json.decode(b'{"name": "k", "budget_usdd": 5}', type=NewKey)


def test_key_info_encodes_to_json_for_the_admin_api() -> None:
    info = KeyInfo(
        id="key_1",
        name="n",
        prefix="gw-abcdefgh",
        state="active",
        tags=[],
        metadata={},
        allowed_routes=[],
        allowed_models=[],
        requests_per_minute=None,
        tokens_per_minute=None,
        budget_usd=None,
        budget_period="monthly",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=None,
        revoked_at=None,
        rotated_at=None,
    )
    assert b'"created_at":"2026-01-01T00:00:00Z"' in msgspec.json.encode(info)
