"""SQLAlchemy models: virtual keys, encrypted provider credentials, the usage ledger, budget periods.

The schema itself is owned by the Alembic migrations under `alembic/versions`; these models describe
the same tables for queries, and `tests/gateway/storage` checks that the two agree.

Money is stored as double precision: the ledger sums fractions of a cent per request and SQLite has no
exact decimal type; reports round at the edge.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "BudgetPeriodRow", "LedgerRow", "ProviderCredentialRow", "VirtualKeyRow"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (Alembic needs them to alter tables)."""

    metadata = MetaData(naming_convention=NAMING)


class VirtualKeyRow(Base):
    """A gw API key: only the SHA-256 of its secret is stored, plus a short prefix for humans."""

    __tablename__ = "virtual_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 of the whole secret (`gw-…`)."""
    prefix: Mapped[str] = mapped_column(String(16))
    """The first characters of the secret, shown in listings so people can tell keys apart."""
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON, default=dict)
    allowed_routes: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_models: Mapped[list[str]] = mapped_column(JSON, default=list)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    tokens_per_minute: Mapped[int | None] = mapped_column(Integer)
    budget_usd: Mapped[float | None] = mapped_column(Float)
    budget_period: Mapped[str] = mapped_column(String(16), default="monthly")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderCredentialRow(Base):
    """A provider secret held for a key (or globally when `key_id` is null), Fernet-encrypted."""

    __tablename__ = "provider_credentials"
    __table_args__ = (UniqueConstraint("key_id", "provider_id", name="uq_provider_credentials_key_provider"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(ForeignKey("virtual_keys.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[str] = mapped_column(String(100))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerRow(Base):
    """One row per request: every field of `gateway.ports.UsageRecord`, keyed by a row uuid."""

    __tablename__ = "usage_ledger"
    __table_args__ = (
        Index("ix_usage_ledger_key_ts", "key_id", "ts"),
        Index("ix_usage_ledger_day", "day"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """Assigned when the row is recorded; replaying a spool inserts it at most once."""
    trace_id: Mapped[str] = mapped_column(String(128), index=True)
    ts: Mapped[float] = mapped_column(Float)
    day: Mapped[str] = mapped_column(String(10))
    """UTC date of `ts` (YYYY-MM-DD), for reports grouped by day on any database."""
    key_id: Mapped[str | None] = mapped_column(String(32))
    route_id: Mapped[str] = mapped_column(String(200), default="")
    target_path: Mapped[str] = mapped_column(String(200), default="")
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    saved_usd: Mapped[float | None] = mapped_column(Float)
    cache_status: Mapped[str] = mapped_column(String(16), default="DISABLED")
    status: Mapped[int] = mapped_column(Integer, default=200)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    config_hash: Mapped[str] = mapped_column(String(128), default="")


class BudgetPeriodRow(Base):
    """Spend per budget scope and period: the durable side of the limits engine's live counters."""

    __tablename__ = "budget_periods"

    scope_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    """The limits engine's counter key, e.g. `budget:<id>:key:<key id>`."""
    period_start: Mapped[str] = mapped_column(String(10), primary_key=True)
    """UTC date the period starts (YYYY-MM-DD); `total` periods use `0001-01-01`."""
    spent_usd: Mapped[float] = mapped_column(Float, default=0.0)
    reserved_usd: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
