"""Which answers of a case came from a prefill source, and when (``cases.prefilled``).

Revision ID: 0014_prefill
Revises: 0013_gdpr
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_prefill"
down_revision = "0013_gdpr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "prefilled",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("cases", "prefilled")
