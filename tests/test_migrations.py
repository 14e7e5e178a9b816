"""The Alembic migrations build exactly the tables the models describe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import Base, make_engine
from engine.migrate import downgrade, upgrade


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    else:
        from .conftest import postgres_url

        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (CI always has it)")
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS migrations_test CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA migrations_test"))
        admin.dispose()
        engine = make_engine(url, connect_args={"options": "-csearch_path=migrations_test"})
    yield engine
    engine.dispose()


def test_upgrade_matches_the_models_and_downgrade_empties(empty_engine):
    upgrade(empty_engine)
    assert differences(empty_engine) == []
    downgrade(empty_engine, "base")
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert tables <= {"alembic_version"}
