"""The Alembic migrations build exactly the tables the models describe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import Base, make_engine
from engine.migrate import downgrade, upgrade

#: expression indexes that only migration 0006 defines (autogenerate cannot compare them)
EXPRESSION_INDEXES = {"ix_cases_reference_search", "ix_accounts_name_search"}
#: the trigram index of migration 0010 (PostgreSQL only, when pg_trgm can be had)
TRIGRAM_INDEX = "ix_cases_organisation_trgm"


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = compare_metadata(context, Base.metadata)
    skipped = EXPRESSION_INDEXES | {TRIGRAM_INDEX}
    return [d for d in found if not (d[0] == "remove_index" and d[1].name in skipped)]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    else:
        from ..conftest import require_postgres

        url = require_postgres()
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS migrations_test CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA migrations_test"))
        admin.dispose()
        engine = make_engine(url, connect_args={"options": "-csearch_path=migrations_test"})
    yield engine
    engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_matches_the_models_and_downgrade_empties(empty_engine):
    upgrade(empty_engine)
    assert differences(empty_engine) == []
    catalog = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if empty_engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    )
    with empty_engine.connect() as connection:
        indexes = set(connection.scalars(sa.text(catalog)))
    assert EXPRESSION_INDEXES <= indexes
    if empty_engine.dialect.name == "postgresql":
        assert TRIGRAM_INDEX in indexes
    downgrade(empty_engine, "base")
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert tables <= {"alembic_version"}
