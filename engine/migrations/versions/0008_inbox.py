"""The inbox as a daily tool: last activity, indexes for its tabs and sorts, saved filters,
counters of its tabs kept by triggers, and (on PostgreSQL) a trigram index for searching
what filers typed.

``inbox_counts`` holds the number of submitted cases per department, procedure, state,
assignee and closed-or-not; triggers on ``cases`` keep it in the transaction that changes a
case, whatever writes it. (On SQLite, a later migration that rebuilds ``cases`` in a batch
must create the triggers again.)

``cases.last_activity_at`` starts as the moment the case entered its state. The tabs are
counted from partial indexes alone (``ix_cases_open_tabs``, ``ix_cases_closed_tabs``); each
sort walks an index in its order. The trigram index (``ix_cases_answers_trgm``, an
expression index the models do not declare) needs the ``pg_trgm`` extension: when it cannot
be created (no rights, not installed), the search still works, without the index.

Revision ID: 0008_inbox
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db

revision = "0008_inbox"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = "closed_at IS NULL AND submitted_at IS NOT NULL"
CLOSED = "closed_at IS NOT NULL AND submitted_at IS NOT NULL"
SUBMITTED = "submitted_at IS NOT NULL"
INDEXES = {
    "ix_cases_open_tabs": (["department", "procedure", "state", "assignee_id"], OPEN),
    "ix_cases_closed_tabs": (["department", "procedure", "state", "assignee_id"], CLOSED),
    "ix_cases_assignee": (["assignee_id", "id"], OPEN),
    "ix_cases_by_submitted_at": (["department", "submitted_at", "id"], SUBMITTED),
    "ix_cases_by_clock_expires_at": (["department", "clock_expires_at", "id"], SUBMITTED),
    "ix_cases_by_last_activity_at": (["department", "last_activity_at", "id"], SUBMITTED),
}
TRIGRAM_INDEX = "ix_cases_answers_trgm"


def upgrade() -> None:
    op.add_column("cases", sa.Column("last_activity_at", engine.db.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE cases SET last_activity_at = COALESCE(state_entered_at, submitted_at) "
        "WHERE submitted_at IS NOT NULL"
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, (columns, where) in INDEXES.items():
            batch_op.create_index(
                name, columns, unique=False, postgresql_where=sa.text(where)
            )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", engine.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_saved_filters_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
    )
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.create_index("ix_saved_filters_account", ["account_id", "id"], unique=False)
    op.create_table(
        "inbox_counts",
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("procedure", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("assignee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department", "procedure", "state", "assignee_id", "closed",
            name=op.f("pk_inbox_counts"),
        ),
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    if postgresql:
        trigram_index()


_KEY_COLUMNS = "(department, procedure, state, assignee_id, closed, n)"
#: a case's group in inbox_counts
GROUP = (
    "COALESCE({row}.department, ''), {row}.procedure, COALESCE({row}.state, ''), "
    "COALESCE({row}.assignee_id, 0), {row}.closed_at IS NOT NULL"
)
_CASE = GROUP.format(row="cases")
BACKFILL = " ".join(  # constant text
    ("INSERT INTO inbox_counts", _KEY_COLUMNS, "SELECT", _CASE, ", count(*) FROM cases",
     "WHERE submitted_at IS NOT NULL GROUP BY", _CASE)
)
_MATCH = (
    "department = COALESCE({row}.department, '') AND procedure = {row}.procedure "
    "AND state = COALESCE({row}.state, '') AND assignee_id = COALESCE({row}.assignee_id, 0) "
    "AND closed = ({row}.closed_at IS NOT NULL)"
)
_KEY = "(department, procedure, state, assignee_id, closed)"
_COLUMNS = "department, procedure, state, assignee_id, closed_at, submitted_at"
_LEAVE = "UPDATE inbox_counts SET n = n - 1 WHERE " + _MATCH.format(row="OLD")  # noqa: S608
_ENTER = (
    f"INSERT INTO inbox_counts {_KEY_COLUMNS} SELECT {GROUP.format(row='NEW')}, 1 "
    "WHERE NEW.submitted_at IS NOT NULL "
    f"ON CONFLICT {_KEY} DO UPDATE SET n = inbox_counts.n + 1"
)
POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION inbox_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND ({GROUP.format(row='OLD')}, OLD.submitted_at IS NULL)
     IS NOT DISTINCT FROM ({GROUP.format(row='NEW')}, NEW.submitted_at IS NULL) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.submitted_at IS NOT NULL THEN
    {_LEAVE};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    {_ENTER};
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER cases_inbox_count AFTER INSERT OR DELETE OR UPDATE OF {_COLUMNS} "
    "ON cases FOR EACH ROW EXECUTE FUNCTION inbox_count()",
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER cases_inbox_count_insert AFTER INSERT ON cases BEGIN {_ENTER}; END",
    f"CREATE TRIGGER cases_inbox_count_delete AFTER DELETE ON cases "
    f"WHEN OLD.submitted_at IS NOT NULL BEGIN {_LEAVE}; END",
    f"CREATE TRIGGER cases_inbox_count_update AFTER UPDATE OF {_COLUMNS} ON cases BEGIN "
    f"{_LEAVE} AND OLD.submitted_at IS NOT NULL; {_ENTER}; END",
)


def trigram_index() -> None:
    """``lower(answers::text)`` under a GIN trigram index, if ``pg_trgm`` can be had."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        pass  # no rights, or not installed: the search scans the department's open cases
    schema = bind.scalar(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    )
    if schema is None:
        return
    op.execute(
        f"CREATE INDEX {TRIGRAM_INDEX} ON cases USING gin "
        f'(lower(CAST(answers AS text)) "{schema}".gin_trgm_ops) WHERE {SUBMITTED}'
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cases_inbox_count ON cases")
        op.execute("DROP FUNCTION IF EXISTS inbox_count()")
    else:
        for kind in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS cases_inbox_count_{kind}")
    op.drop_table("inbox_counts")
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_filters_account")
    op.drop_table("saved_filters")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
    # not in a batch: SQLite would copy the table, losing the expression indexes of 0006
    op.drop_column("cases", "last_activity_at")
