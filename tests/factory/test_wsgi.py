"""The WSGI entry point of web processes (``factory.wsgi:app``), and who runs the worker."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading

import sqlalchemy as sa
from click.testing import CliRunner

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, ROOT


def _environment(tmp_path, **settings) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    environ.update(EXAMPLE_ENVIRON)
    environ.update(
        {
            "GUICHET_SECRET_KEY": "a-key-from-the-environment",
            "GUICHET_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
            "GUICHET_SITE": str(EXAMPLES / "guichet.yaml"),
            "GUICHET_UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "GUICHET_VAR_FOLDER": str(tmp_path / "var"),
        }
    )
    environ.update(settings)
    return environ


#: Imports the entry point as gunicorn does and says what it got.
PROBE = """
import gc, json, threading
from factory.wsgi import app
frozen = gc.get_freeze_count()
client = app.test_client()
print(json.dumps({
    "secret": app.config["SECRET_KEY"],
    "database": app.config["DATABASE_URL"],
    "site": app.extensions["guichet"].runtime.site is not None,
    "worker": "guichet.worker" in app.extensions,
    "threads": [t.name for t in threading.enumerate()],
    "catalogue": client.get("/").status_code,
    "frozen": frozen,
}))
"""


def _probe(tmp_path, **settings) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=_environment(tmp_path, **settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_entry_point_builds_the_app_from_the_environment_without_a_worker(tmp_path):
    found = _probe(tmp_path)
    assert found["secret"] == "a-key-from-the-environment"
    assert found["database"] == f"sqlite:///{tmp_path / 'web.db'}"
    assert found["site"] is True
    assert found["catalogue"] == 200
    # what the process keeps for its life is out of the garbage collector's walks
    assert found["frozen"] > 10_000
    assert found["worker"] is False
    assert "guichet-worker" not in found["threads"]
    # the default migrates at start: the schema is there
    tables = sa.inspect(sa.create_engine(found["database"])).get_table_names()
    assert "cases" in tables and "alembic_version" in tables


def test_web_processes_can_leave_the_migration_to_guichet_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    environ = _environment(tmp_path)
    upgrade = subprocess.run(
        [
            sys.executable,
            "-c",
            "from factory.cli import main; main()",
            "db",
            "upgrade",
            "--database",
            url,
        ],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        # the row alembic reads: a web process that migrated would write it back
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'marker'"))
    found = _probe(tmp_path, GUICHET_MIGRATE="false")
    assert found["worker"] is False
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == "marker"


def test_an_empty_database_is_left_empty_when_web_processes_do_not_migrate(tmp_path):
    from factory import create_app

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": url,
            "MIGRATE": False,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    assert sa.inspect(sa.create_engine(url)).get_table_names() == []


def test_create_app_never_starts_the_worker_but_guichet_serve_does(tmp_path, monkeypatch):
    from factory import create_app
    from factory.cli import main

    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    app = create_app()
    assert not app.testing
    assert "guichet.worker" not in app.extensions

    served = {}

    def fake_serve(app, **options):
        served["app"], served["options"] = app, options
        served["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr("waitress.serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    gc.unfreeze()  # nothing frozen before: what is frozen then is serve's doing
    result = CliRunner().invoke(main, ["serve", "--port", "5999"])
    gc.unfreeze()
    assert result.exit_code == 0, result.output
    # what the application keeps is out of the collector's reach before the first request
    assert served["frozen"] > 0
    thread, stop = served["app"].extensions["guichet.worker"]
    assert isinstance(thread, threading.Thread) and thread.is_alive()
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
