"""Who files, apart from the answers, for the inbox's search.

``cases.organisation_name`` (the answer of a field with ``autocomplete: organization``) and
``cases.filer_email`` (the first e-mail address the filer typed, in lower case) are kept by
the engine each time the answers change. The search finds an e-mail address in full under a
plain index, and an organisation's name anywhere in it under a trigram index on PostgreSQL
(``ix_cases_organisation_trgm``, an expression index the models do not declare; without
``pg_trgm`` the search works, without the index). They replace the trigram index over the
whole of the answers (0008): a pattern full of common trigrams (``…@example.org``) had to
intersect long posting lists, then recheck kilobytes of JSON per case.

Existing cases are filled from their versions' definitions; a version that cannot be read
any more leaves its cases' columns empty (they are found by reference and account).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRIGRAM_INDEX = "ix_cases_organisation_trgm"
FORMER_TRIGRAM_INDEX = "ix_cases_answers_trgm"


def upgrade() -> None:
    op.add_column("cases", sa.Column("organisation_name", sa.String(300), nullable=True))
    op.add_column("cases", sa.Column("filer_email", sa.String(320), nullable=True))
    op.create_index("ix_cases_filer_email", "cases", ["filer_email"])
    backfill()
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {FORMER_TRIGRAM_INDEX}")
    schema = bind.scalar(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    )
    if schema is not None:
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON cases USING gin "
            f'(lower(organisation_name) "{schema}".gin_trgm_ops) '
            "WHERE organisation_name IS NOT NULL"
        )


def backfill() -> None:
    """The two columns of the cases filed so far, version by version, in SQL."""
    from definitions.procedures import procedure_from_source

    bind = op.get_bind()
    versions = bind.execute(
        sa.text("SELECT id, slug, version, source, workflows FROM procedure_versions")
    ).all()
    for version_id, slug, number, source, workflows in versions:
        if isinstance(workflows, str):  # JSON as text on SQLite
            workflows = json.loads(workflows or "{}")
        procedure, _ = procedure_from_source(
            source, name=f"{slug}-v{number}.yaml", workflows=workflows or {}
        )
        if procedure is None:
            continue
        fields = procedure.fields.values()
        organisations = [f.id for f in fields if f.autocomplete == "organization"]
        emails = [f.id for f in fields if f.type == "email"]
        sets = []
        if organisations:
            sets.append(f"organisation_name = substr({_first(bind, organisations)}, 1, 300)")
        if emails:
            sets.append(f"filer_email = lower(substr({_first(bind, emails)}, 1, 320))")
        if sets:
            bind.execute(
                # the columns' expressions name the definition's field ids, checked identifiers
                sa.text(f"UPDATE cases SET {', '.join(sets)} WHERE version_id = :v"),  # noqa: S608
                {"v": version_id},
            )


def _first(bind, names: list[str]) -> str:
    """The first of ``names`` answered with a non-blank text, in SQL (NULL when none)."""
    if bind.dialect.name == "postgresql":
        values = [f"NULLIF(trim(answers ->> '{name}'), '')" for name in names]
    else:
        values = [
            f"NULLIF(trim(CASE WHEN json_type(answers, '$.\"{name}\"') = 'text' "
            f"THEN json_extract(answers, '$.\"{name}\"') END), '')"
            for name in names
        ]
    return f"COALESCE({', '.join(values)})" if len(values) > 1 else values[0]


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.drop_index("ix_cases_filer_email", table_name="cases")
    # not in a batch: SQLite would copy the table, losing the expression indexes of 0006
    op.drop_column("cases", "filer_email")
    op.drop_column("cases", "organisation_name")
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        import_module("engine.migrations.versions.0008_inbox").trigram_index()
