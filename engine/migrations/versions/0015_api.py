"""The REST API: its clients (departments' systems holding a bearer token), and ``api`` as
a channel a case may be filed through.

On SQLite the channel's CHECK constraint is widened in place (the documented procedure for
changing a CHECK constraint with ``writable_schema``: the new constraint accepts every row
the old one did), so ``cases`` is not rebuilt and keeps its triggers and partial indexes.

Revision ID: 0015_api
Revises: 0014_prefill
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = "0015_api"
down_revision = "0014_prefill"
branch_labels = None
depends_on = None

OLD = "channel IN ('online', 'counter', 'phone', 'mail')"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NEW = "channel IN ('online', 'counter', 'phone', 'mail', 'api')"


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("departments", JSON, nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("as_agent", sa.Boolean(), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_api_clients_created_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_api_clients_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_clients_token_hash")),
    )
    _channels(OLD, NEW)


def downgrade() -> None:
    op.execute("DELETE FROM cases WHERE channel = 'api'")
    _channels(NEW, OLD)
    op.drop_table("api_clients")


def _channels(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_cases_channel"), "cases", type_="check")
        op.create_check_constraint(op.f("ck_cases_channel"), "cases", new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'cases'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
