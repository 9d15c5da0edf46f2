"""Initial storage: virtual keys, provider credentials, usage ledger, budget periods.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four storage tables."""
    op.create_table(
        "virtual_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("allowed_routes", sa.JSON(), nullable=False),
        sa.Column("allowed_models", sa.JSON(), nullable=False),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("tokens_per_minute", sa.Integer(), nullable=True),
        sa.Column("budget_usd", sa.Float(), nullable=True),
        sa.Column("budget_period", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("rotated_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_virtual_keys"),
        sa.UniqueConstraint("key_hash", name="uq_virtual_keys_key_hash"),
    )
    op.create_table(
        "provider_credentials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["virtual_keys.id"],
            name="fk_provider_credentials_key_id_virtual_keys",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_provider_credentials"),
        sa.UniqueConstraint("key_id", "provider_id", name="uq_provider_credentials_key_provider"),
    )
    op.create_index("ix_provider_credentials_key_id", "provider_credentials", ["key_id"])
    op.create_table(
        "usage_ledger",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("trace_id", sa.String(128), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("route_id", sa.String(200), nullable=False),
        sa.Column("target_path", sa.String(200), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("saved_usd", sa.Float(), nullable=True),
        sa.Column("cache_status", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("config_hash", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_ledger"),
    )
    op.create_index("ix_usage_ledger_trace_id", "usage_ledger", ["trace_id"])
    op.create_index("ix_usage_ledger_key_ts", "usage_ledger", ["key_id", "ts"])
    op.create_index("ix_usage_ledger_day", "usage_ledger", ["day"])
    op.create_table(
        "budget_periods",
        sa.Column("scope_key", sa.String(300), nullable=False),
        sa.Column("period_start", sa.String(10), nullable=False),
        sa.Column("spent_usd", sa.Float(), nullable=False),
        sa.Column("reserved_usd", sa.Float(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("scope_key", "period_start", name="pk_budget_periods"),
    )


def downgrade() -> None:
    """Drop the four storage tables."""
    op.drop_table("budget_periods")
    op.drop_index("ix_usage_ledger_day", table_name="usage_ledger")
    op.drop_index("ix_usage_ledger_key_ts", table_name="usage_ledger")
    op.drop_index("ix_usage_ledger_trace_id", table_name="usage_ledger")
    op.drop_table("usage_ledger")
    op.drop_index("ix_provider_credentials_key_id", table_name="provider_credentials")
    op.drop_table("provider_credentials")
    op.drop_table("virtual_keys")
