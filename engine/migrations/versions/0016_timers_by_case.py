"""An index on timers by case: each transition cancels or replaces its case's timers.

Revision ID: 0016_timers_by_case
Revises: 0015_api
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0016_timers_by_case"
down_revision = "0015_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_timers_case", "timers", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_timers_case", table_name="timers")
