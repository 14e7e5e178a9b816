"""Guichet as a deployment runs it: `guichet db upgrade` and `guichet db publish`, then two
gunicorn web processes (``factory.wsgi:app``) and a separate ``guichet worker`` on
PostgreSQL; a few people file at once over HTTP, and every delivery is made (a short load
smoke test)."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, POSTGRES_ADMIN_URL, require_postgres
from .portal_helpers import fill, start, submit
from .service_processes import HttpClient, free_port, stop, wait_until_up

BIN = Path(sys.executable).parent
#: people filing at once, and requests each
FILERS, EACH = 4, 3


@pytest.fixture
def database():
    """A PostgreSQL database of this test's own, dropped at the end."""
    require_postgres()
    admin_url = os.environ.get("GUICHET_TEST_POSTGRES", POSTGRES_ADMIN_URL)
    name = f"guichet_smoke_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _guichet(*args, env, cwd) -> None:
    done = subprocess.run(
        [str(BIN / "guichet"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _metrics(url: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(httpx.get(url, timeout=10).text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def _total(metrics: dict, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(v for (n, found), v in metrics.items() if n == name and wanted <= found)


def test_two_gunicorn_workers_and_a_worker_process_file_and_deliver(tmp_path, database, examples):
    from definitions.scenarios import resolve_dates

    if not (BIN / "gunicorn").exists():
        pytest.fail("gunicorn is not installed: it comes with the dev and server extras")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(EXAMPLE_ENVIRON)
    env.update(
        {
            "GUICHET_DATABASE_URL": database,
            "GUICHET_SITE": str(EXAMPLES / "guichet.yaml"),
            "GUICHET_SECRET_KEY": secrets.token_hex(32),
            "GUICHET_UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "GUICHET_VAR_FOLDER": str(tmp_path / "var"),
            "GUICHET_MIGRATE": "false",
            "GUICHET_LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
    )
    _guichet("db", "upgrade", env=env, cwd=tmp_path)
    _guichet("db", "publish", str(EXAMPLES), env=env, cwd=tmp_path)

    port, worker_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with web_log.open("w") as web_out, worker_log.open("w") as worker_out:
        web = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--graceful-timeout",
                "10",
                "factory.wsgi:app",
            ],
            env=env,
            cwd=tmp_path,
            stdout=web_out,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(
            [str(BIN / "guichet"), "worker", "--metrics-port", str(worker_port)],
            env=env,
            cwd=tmp_path,
            stdout=worker_out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"{base}/readyz", web, web_log)
        procedure, suite = examples["acte-naissance"]
        answers = resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())

        def file_some(_n) -> list[int]:
            client = HttpClient(base)
            statuses = []
            try:
                for _ in range(EACH):
                    case_id = start(client, "acte-naissance")
                    fill(client, procedure, case_id, answers)
                    statuses.append(submit(client, case_id).status_code)
            finally:
                client.close()
            return statuses

        started = time.monotonic()
        with ThreadPoolExecutor(FILERS) as pool:
            statuses = [s for batch in pool.map(file_some, range(FILERS)) for s in batch]
        filing_seconds = time.monotonic() - started
        assert statuses == [302] * (FILERS * EACH)

        engine = sa.create_engine(database)
        try:
            with engine.connect() as connection:
                cases = connection.execute(
                    sa.text("SELECT reference FROM cases WHERE submitted_at IS NOT NULL")
                ).all()
                assert len({reference for (reference,) in cases}) == FILERS * EACH
            deadline = time.monotonic() + 90
            while True:
                with engine.connect() as connection:
                    by_status = dict(
                        connection.execute(
                            sa.text("SELECT status, count(*) FROM outbox GROUP BY status")
                        ).all()
                    )
                if set(by_status) == {"delivered"} or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            engine.dispose()
        assert set(by_status) == {"delivered"}, (by_status, worker_log.read_text()[-3000:])
        delivered = by_status["delivered"]
        assert delivered >= FILERS * EACH  # at least each filer's receipt

        # the worker observed each delivery; the web processes' counts add up across both
        worker_metrics = _metrics(f"http://127.0.0.1:{worker_port}/metrics")
        assert (
            _total(worker_metrics, "guichet_delivery_duration_seconds_count", outcome="delivered")
            == delivered
        )
        web_metrics = _metrics(f"{base}/metrics")
        submits = _total(
            web_metrics,
            "guichet_http_requests_total",
            method="POST",
            rule="/brouillons/<int:case_id>/envoi",
        )
        assert submits == FILERS * EACH
        assert _total(web_metrics, "guichet_outbox_depth") == 0
        assert _total(web_metrics, "guichet_outbox_dead_letters") == 0
        assert len(list(metrics_dir.glob("*.db"))) >= 2  # more than one process counted
        print(f"{FILERS * EACH} filings in {filing_seconds:.1f} s, {delivered} deliveries")
    finally:
        web_code, worker_code = stop(web), stop(worker)
    assert web_code == 0, web_log.read_text()[-3000:]
    assert worker_code == 0, worker_log.read_text()[-3000:]
    logged = web_log.read_text()
    # the web processes never ran a worker (services.start_worker says so when it starts)
    assert "the worker runs in the server" not in logged
    requests = [json.loads(line) for line in logged.splitlines() if '"guichet.requests"' in line]
    assert sum(r["rule"] == "/brouillons/<int:case_id>/envoi" for r in requests) == FILERS * EACH
