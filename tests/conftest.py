from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The secrets the example site config reads from the environment.
EXAMPLE_ENVIRON = {
    "GUICHET_WEBHOOK_SECRET": "test-webhook-secret",
    "GUICHET_REGISTRY_SECRET": "test-registry-secret",
    "GUICHET_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/",
    "GUICHET_SMTP_PASSWORD": "test-smtp-password",
}

_EXPECT = re.compile(
    r"^#\s*expect:\s*(?:(?P<file>[^:\s]+\.ya?ml):)?(?P<line>\d+):(?P<column>\d+):\s?(?P<message>.*)$"
)


def expectations(path: Path) -> list[tuple[str, int, int, str]]:
    """The ``# expect: [FILE:]LINE:COLUMN: MESSAGE`` lines at the top of a fixture."""
    found = []
    for line in path.read_text("utf-8").splitlines():
        match = _EXPECT.match(line.strip())
        if match:
            file = match["file"] or path.name
            found.append((file, int(match["line"]), int(match["column"]), match["message"]))
    return found


@pytest.fixture
def example_environ(monkeypatch):
    for name, value in EXAMPLE_ENVIRON.items():
        monkeypatch.setenv(name, value)
    return EXAMPLE_ENVIRON


# -- databases ------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_TEST_DB = "guichet_test"


def postgres_url() -> str | None:
    """A PostgreSQL database for the tests, created if needed; None when none is running."""
    import sqlalchemy as sa

    url = os.environ.get("GUICHET_TEST_POSTGRES", POSTGRES_ADMIN_URL)
    try:
        admin = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": POSTGRES_TEST_DB}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{POSTGRES_TEST_DB}"'))
        admin.dispose()
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return None
    return url.rsplit("/", 1)[0] + "/" + POSTGRES_TEST_DB


@pytest.fixture(scope="session")
def postgres_engine():
    from engine.db import Base, make_engine

    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (CI always has it)")
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _truncate(engine) -> None:
    import sqlalchemy as sa

    from engine.db import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request, tmp_path):
    """The engine suite runs on the embedded default (SQLite) and on PostgreSQL."""
    from engine.db import Base, make_engine

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'guichet.db'}")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        _truncate(engine)
        yield engine


@pytest.fixture
def sessions(db_engine):
    from engine.db import make_session_factory

    return make_session_factory(db_engine)


@pytest.fixture
def runtime(example_environ):
    from definitions.catalogue import load_site_file
    from engine.catalogue import Runtime

    site, problems = load_site_file(EXAMPLES / "guichet.yaml", example_environ)
    assert problems == []
    return Runtime(site=site)


@pytest.fixture
def clock():
    import datetime as dt

    from engine.clock import FrozenClock

    # a Monday morning, Paris time, far from public holidays
    return FrozenClock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC))


@pytest.fixture
def published(sessions, runtime, clock):
    """Publish the examples; returns {slug: ProcedureVersion}."""
    from engine.catalogue import publish_folder

    with sessions() as session, session.begin():
        versions = publish_folder(session, runtime, EXAMPLES, clock=clock)
        return {v.slug: v for v in versions}
