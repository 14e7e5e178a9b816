"""The first tables: procedure versions, accounts, cases and their history, timers, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("email_confirmed_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column(
            "profile",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prefill_consent", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('citizen', 'agent', 'supervisor', 'administrator')",
            name=op.f("ck_accounts_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "reference_counters",
        sa.Column("procedure", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("procedure", "year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "memberships",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_memberships_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "department", name=op.f("pk_memberships")),
    )
    op.create_table(
        "procedure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "workflows",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("published_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["accounts.id"],
            name=op.f("fk_procedure_versions_published_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_versions")),
        sa.UniqueConstraint("slug", "version", name=op.f("uq_procedure_versions_slug_version")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("tracking_token", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("current_page", sa.String(length=100), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("state_entered_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("clock_started_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("clock_expires_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("clock_paused_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("clock_remaining_days", sa.Integer(), nullable=True),
        sa.Column("anonymised_at", engine.db.UTCDateTime(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('online', 'counter', 'phone', 'mail')", name=op.f("ck_cases_channel")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["accounts.id"], name=op.f("fk_cases_assignee_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_cases_owner_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["procedure_versions.id"],
            name=op.f("fk_cases_version_id_procedure_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_cases_idempotency_key")),
        sa.UniqueConstraint("procedure", "reference", name=op.f("uq_cases_procedure_reference")),
        sa.UniqueConstraint("tracking_token", name=op.f("uq_cases_tracking_token")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_open_by_department",
            ["department", "state", "id"],
            unique=False,
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        )
        batch_op.create_index("ix_cases_owner", ["owner_id", "id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_attachments_owner_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_department", sa.String(length=100), nullable=True),
        sa.Column("transition", sa.String(length=100), nullable=True),
        sa.Column("from_state", sa.String(length=100), nullable=True),
        sa.Column("to_state", sa.String(length=100), nullable=True),
        sa.Column(
            "values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["accounts.id"], name=op.f("fk_case_events_actor_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case", ["case_id", "id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("read_at", engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notifications_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notifications_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_account", ["account_id", "id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("locked_until", engine.db.UTCDateTime(), nullable=True),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("transition", sa.String(length=100), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("locked_until", engine.db.UTCDateTime(), nullable=True),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.Column("done_at", engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_timers_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due")

    op.drop_table("timers")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_account")

    op.drop_table("notifications")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case")

    op.drop_table("case_events")
    op.drop_table("attachments")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_owner")
        batch_op.drop_index(
            "ix_cases_open_by_department",
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        )

    op.drop_table("cases")
    op.drop_table("procedure_versions")
    op.drop_table("memberships")
    op.drop_table("reference_counters")
    op.drop_table("accounts")
