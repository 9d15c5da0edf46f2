"""What the key service takes and returns: plain structs, JSON-ready for the admin API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

from gateway.ports import VirtualKey
from gateway.storage.models import VirtualKeyRow

__all__ = ["CreatedKey", "KeyInfo", "KeyState", "NewKey", "as_utc", "key_info", "key_state", "virtual_key"]

KeyState = Literal["active", "revoked", "expired"]
BudgetPeriod = Literal["daily", "monthly", "total"]


class NewKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Attributes of a key to create (the admin API's POST body)."""

    name: str
    tags: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, str] = msgspec.field(default_factory=dict)
    allowed_routes: list[str] = msgspec.field(default_factory=list)
    """Empty means every route."""
    allowed_models: list[str] = msgspec.field(default_factory=list)
    """Empty means every model."""
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    budget_usd: float | None = None
    budget_period: BudgetPeriod = "monthly"
    expires_at: datetime | None = None


class KeyInfo(msgspec.Struct, kw_only=True):
    """A key as admins see it: everything but the secret (only its first characters)."""

    id: str
    name: str
    prefix: str
    state: KeyState
    tags: list[str]
    metadata: dict[str, str]
    allowed_routes: list[str]
    allowed_models: list[str]
    requests_per_minute: int | None
    tokens_per_minute: int | None
    budget_usd: float | None
    budget_period: BudgetPeriod
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    rotated_at: datetime | None


class CreatedKey(msgspec.Struct, kw_only=True):
    """A key just created or rotated, with its secret: the only time the secret exists outside a client."""

    key: KeyInfo
    secret: str


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: every stored time is UTC, so say so."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def key_state(row: VirtualKeyRow, now: datetime) -> KeyState:
    """Whether the key may be used at `now`."""
    if row.revoked_at is not None:
        return "revoked"
    expires = as_utc(row.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def _period(value: str) -> BudgetPeriod:
    if value == "daily":
        return "daily"
    if value == "total":
        return "total"
    return "monthly"


def key_info(row: VirtualKeyRow, now: datetime) -> KeyInfo:
    """The admin view of a stored key."""
    created = as_utc(row.created_at)
    assert created is not None
    return KeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        state=key_state(row, now),
        tags=list(row.tags),
        metadata=dict(row.metadata_),
        allowed_routes=list(row.allowed_routes),
        allowed_models=list(row.allowed_models),
        requests_per_minute=row.requests_per_minute,
        tokens_per_minute=row.tokens_per_minute,
        budget_usd=row.budget_usd,
        budget_period=_period(row.budget_period),
        created_at=created,
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at),
        rotated_at=as_utc(row.rotated_at),
    )


def virtual_key(row: VirtualKeyRow) -> VirtualKey:
    """The executor's view of a stored key (no secret material)."""
    return VirtualKey(
        id=row.id,
        name=row.name,
        tags=tuple(row.tags),
        metadata=tuple(sorted(row.metadata_.items())),
        allowed_routes=tuple(row.allowed_routes),
        allowed_models=tuple(row.allowed_models),
        requests_per_minute=row.requests_per_minute,
        tokens_per_minute=row.tokens_per_minute,
        budget_usd=row.budget_usd,
        budget_period=_period(row.budget_period),
    )
