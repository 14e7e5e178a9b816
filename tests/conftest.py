from __future__ import annotations

import os
import re
import secrets
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
    "GUICHET_API_PARTICULIER_TOKEN": "test-api-particulier-token",
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

def missing_service(reason: str) -> None:
    """Skip the test saying why, or fail it under CI, where every service must be present."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must provide it", pytrace=False)
    pytest.skip(reason)


POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Every test run has a database of its own, dropped at the end of the run, so that two runs on
#: one machine never touch each other's tables.
POSTGRES_TEST_DB = f"guichet_test_{os.getpid()}_{secrets.token_hex(4)}"
_postgres: dict[str, str | None] = {}


def _admin_url() -> str:
    return os.environ.get("GUICHET_TEST_POSTGRES", POSTGRES_ADMIN_URL)


def postgres_url() -> str | None:
    """This run's PostgreSQL database, created on first use; None when none is running."""
    import sqlalchemy as sa

    if "url" in _postgres:
        return _postgres["url"]
    url = _admin_url()
    try:
        admin = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{POSTGRES_TEST_DB}"'))
        admin.dispose()
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL here
        _postgres["url"] = None
        return None
    _postgres["url"] = url.rsplit("/", 1)[0] + "/" + POSTGRES_TEST_DB
    return _postgres["url"]


def require_postgres() -> str:
    """This run's PostgreSQL database URL, or a skip (a failure under CI)."""
    url = postgres_url()
    if url is None:
        missing_service("PostgreSQL is not reachable at 127.0.0.1:5432")
    return url


def pytest_sessionfinish(session):
    """Drop this run's database (and whatever connections are left on it)."""
    if not _postgres.get("url"):
        return
    import sqlalchemy as sa

    admin = sa.create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{POSTGRES_TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine():
    from engine.db import Base, make_engine

    engine = make_engine(require_postgres())
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
    from definitions.folders import load_site_file
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


# -- property-based tests ---------------------------------------------------------------------

try:
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings
except ImportError:  # pragma: no cover - hypothesis comes with the dev extra
    pass
else:
    #: "ci" (the default): the same examples on every run, nothing written to disk, no
    #: deadline (two shared cores are slow at times). "dev": new random examples on every run,
    #: and the failures found kept in .hypothesis/ to be replayed first. The number of
    #: examples of each test is multiplied by GUICHET_FUZZ_SCALE (tests/fuzz_strategies.py).
    _common = {
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    hypothesis_settings.register_profile("ci", derandomize=True, database=None, **_common)
    hypothesis_settings.register_profile("dev", **_common)
    hypothesis_settings.load_profile(os.environ.get("GUICHET_HYPOTHESIS_PROFILE", "ci"))


# -- object storage -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3 API server on 127.0.0.1 (moto in server mode, over HTTP), for this run."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        missing_service("moto[server] is not installed (it comes with the dev extra)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint):
    """The ``S3_*`` settings of a new, empty bucket of the test's S3 server."""
    settings = {
        "STORAGE": "s3",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": f"guichet-{secrets.token_hex(6)}",
        "S3_REGION": "eu-west-3",
        "S3_PREFIX": "pieces/",
        "S3_ACCESS_KEY_ID": "test-access-key",
        "S3_SECRET_ACCESS_KEY": "test-secret-key",
    }
    client = s3_client(settings)
    client.create_bucket(
        Bucket=settings["S3_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": settings["S3_REGION"]},
    )
    return settings


def s3_client(settings: dict):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings["S3_ENDPOINT_URL"],
        region_name=settings["S3_REGION"],
        aws_access_key_id=settings["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=settings["S3_SECRET_ACCESS_KEY"],
    )


def s3_keys(settings: dict) -> list[str]:
    """The keys stored in the bucket of ``settings``."""
    listed = s3_client(settings).list_objects_v2(Bucket=settings["S3_BUCKET"])
    return sorted(item["Key"] for item in listed.get("Contents", []))
