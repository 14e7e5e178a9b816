"""Indexes for the inbox's search: references and names by their beginning, any case.

They are expression indexes (``lower(...)``), with ``text_pattern_ops`` on PostgreSQL so
that ``LIKE 'abc%'`` uses them; the models do not declare them (autogenerate cannot compare
expression indexes), this migration is their only definition.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_reference_search": ("cases", "reference"),
    "ix_accounts_name_search": ("accounts", "name"),
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, (table, column) in INDEXES.items():
        expression = f"lower({column})" + (" text_pattern_ops" if postgresql else "")
        op.execute(f"CREATE INDEX {name} ON {table} ({expression})")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
