"""The commands a deployment runs: `guichet db publish`, and `guichet worker` reading the
same storage settings as the web processes."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from factory.cli import main

from ..conftest import EXAMPLES


def test_db_publish_publishes_a_folder_once(tmp_path, example_environ):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    site = str(EXAMPLES / "guichet.yaml")
    first = CliRunner().invoke(
        main, ["db", "publish", "--database", url, "--site", site, str(EXAMPLES)]
    )
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(
        main, ["db", "publish", "--database", url, "--site", site, str(EXAMPLES)]
    )
    assert again.exit_code == 0, again.output
    with sa.create_engine(url).connect() as connection:
        versions = connection.scalar(sa.text("SELECT count(*) FROM procedure_versions"))
    from definitions.folders import procedure_files

    assert versions == len(list(procedure_files(EXAMPLES))) > 0
    assert first.output == again.output == f"{versions} procedure version(s) published.\n"


def test_the_worker_reads_the_storage_settings_of_the_environment(
    tmp_path, monkeypatch, s3_settings
):
    from engine.storage import S3Storage

    for name, value in s3_settings.items():
        monkeypatch.setenv(f"GUICHET_{name}", value)
    built = {}

    class Recorded:
        def __init__(self, runtime, sessions, deliver, **options):
            built.update(options)

        def run_once(self):
            return 0

    monkeypatch.setattr("engine.worker.Worker", Recorded)
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = CliRunner().invoke(main, ["worker", "--once", "--database", url])
    assert result.exit_code == 0, result.output
    assert isinstance(built["uploads"], S3Storage)
    assert built["uploads"].bucket == s3_settings["S3_BUCKET"]
    assert built["uploads"].prefix == "pieces/"


def test_the_worker_refuses_a_storage_it_does_not_know(tmp_path, monkeypatch):
    monkeypatch.setenv("GUICHET_STORAGE", "ftp")
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = CliRunner().invoke(main, ["worker", "--once", "--database", url])
    assert result.exit_code == 1
    assert "STORAGE is 'ftp': it must be 'local' or 's3'" in result.output
