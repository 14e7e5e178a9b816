"""Legal holds on cases, and an index for the retention purge.

Revision ID: 0013_gdpr
Revises: 0012_documents
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db

revision = "0013_gdpr"
down_revision = "0012_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("legal_hold_at", engine.db.UTCDateTime(), nullable=True))
    op.add_column("cases", sa.Column("legal_hold_reason", sa.Text(), nullable=True))
    op.create_index(
        "ix_cases_retention",
        "cases",
        ["version_id", "closed_at"],
        unique=False,
        postgresql_where=sa.text("closed_at IS NOT NULL AND anonymised_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_retention", table_name="cases")
    op.drop_column("cases", "legal_hold_reason")
    op.drop_column("cases", "legal_hold_at")
