"""Identities of the identity providers (FranceConnect, ProConnect) linked to accounts.

Revision ID: 0011_identities
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = "0011_identities"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "claims",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("linked_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", engine.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_external_identities_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identities")),
        sa.UniqueConstraint("provider", "sub", name=op.f("uq_external_identities_provider_sub")),
    )
    op.create_index(
        "ix_external_identities_account", "external_identities", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_external_identities_account", table_name="external_identities")
    op.drop_table("external_identities")
