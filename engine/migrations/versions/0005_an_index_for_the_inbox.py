"""An index for the inbox: a department's open cases by id.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_inbox",
            ["department", "id"],
            unique=False,
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_inbox",
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        )
