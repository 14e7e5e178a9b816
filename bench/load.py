"""A sustained load test: anonymous filings of a 20-field form, through HTTP, by concurrent
clients, against a running Guichet; then a check that nothing acknowledged was lost.

Not part of the test suite: it runs against processes started by hand. Each virtual user
files, again and again for ``--seconds``, the 20-field procedure of bench/submit.py as a new
visitor (its own cookies): the start, both pages, the review, the submission, the receipt,
whose reference it keeps. At the end it prints the submissions per second and the p50/p95
latency of the submit step and of the whole filing, then, reading the database, checks that
every acknowledged reference is stored as submitted, and waits until the outbox holds
nothing due or in flight (every delivery made; the example site's e-mail connector writes
files, so the workers deliver without a network).

    # 1. the procedure, and a database (PostgreSQL here)
    python bench/load.py --write-procedure /tmp/load/procedures
    export GUICHET_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/guichet_load
    export GUICHET_WEBHOOK_SECRET=x GUICHET_SMTP_PASSWORD=x GUICHET_REGISTRY_SECRET=x \\
           GUICHET_AMQP_URL=amqp://127.0.0.1 GUICHET_SECRET_KEY=load
    createdb -h 127.0.0.1 -U postgres guichet_load && guichet db upgrade
    # 2. the web processes (the embedded server here; any WSGI server works the same) and
    #    two workers, each in a terminal of its own
    guichet serve --port 5050 --site examples/guichet.yaml --procedures /tmp/load/procedures
    guichet worker --site examples/guichet.yaml
    guichet worker --site examples/guichet.yaml
    # 3. the load, five minutes, eight clients
    python bench/load.py --url http://127.0.0.1:5050 --clients 8 --seconds 300 \\
           --database "$GUICHET_DATABASE_URL"

Terminating the application's database connections during the run (``SELECT
pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'guichet_load' AND pid <>
pg_backend_pid()``) must not lose an acknowledged submission: the failures the clients see
are counted apart, and the check at the end still holds.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from submit import ANSWERS, FIELDS, form_yaml  # noqa: E402 - bench/submit.py

SLUG = "banc-vingt-champs"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFERENCE = re.compile(r"BVC-\d{4}-\d{6}")


class Failed(Exception):
    pass


def token(client: httpx.Client, url: str) -> str:
    page = client.get(url)
    found = CSRF.search(page.text) if page.status_code == 200 else None
    if not found:
        raise Failed(f"GET {url}: {page.status_code}")
    return found.group(1)


def moved(response: httpx.Response, what: str) -> str:
    if response.status_code != 302:
        raise Failed(f"{what}: {response.status_code}")
    return response.headers["Location"]


def file_once(base: str) -> tuple[float, float, str]:
    """One filing by a new visitor: (submit seconds, whole seconds, reference)."""
    start = time.perf_counter()
    with httpx.Client(base_url=base, timeout=60) as client:
        url = moved(client.post(f"/demarches/{SLUG}/commencer",
                                data={"csrf_token": token(client, f"/demarches/{SLUG}")}),
                    "start")
        case_id = url.split("/")[2]
        url = moved(client.get(f"/brouillons/{case_id}"), "resume")
        for chunk in (FIELDS[:10], FIELDS[10:]):
            data = {"csrf_token": token(client, url), "nav": "next",
                    **{name: ANSWERS[name] for name, _ in chunk}}
            url = moved(client.post(url, data=data), f"page {url}")
        key = token(client, url)
        before = time.perf_counter()
        receipt = moved(client.post(f"/brouillons/{case_id}/envoi",
                                    data={"csrf_token": key, "submission": str(uuid.uuid4())}),
                        "submit")
        submitted = time.perf_counter() - before
        page = client.get(receipt)
        found = REFERENCE.search(page.text)
        if page.status_code != 200 or not found:
            raise Failed(f"receipt: {page.status_code}")
    return submitted, time.perf_counter() - start, found.group(0)


def run(base: str, clients: int, seconds: float) -> dict:
    results: list[tuple[float, float, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user() -> None:
        while time.monotonic() < stop:
            try:
                outcome = file_once(base)
            except (Failed, httpx.HTTPError) as error:
                with lock:
                    failures.append(str(error))
                continue
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=user) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results, "failures": failures, "elapsed": time.perf_counter() - began}


def check(database: str, references: list[str], wait: float) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    with engine.connect() as connection:
        stored = set(connection.scalars(sa.text(
            "SELECT reference FROM cases WHERE procedure = :slug AND submitted_at IS NOT NULL"),
            {"slug": SLUG}))
    lost = set(references) - stored
    print(f"acknowledged {len(references)}, stored {len(set(references) & stored)}, "
          f"lost {len(lost)}{': ' + ', '.join(sorted(lost)[:10]) if lost else ''}")
    deadline = time.monotonic() + wait
    while True:
        with engine.connect() as connection:
            waiting = connection.scalar(sa.text(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'delivering')"))
            dead = connection.scalar(sa.text("SELECT count(*) FROM outbox WHERE status = 'dead'"))
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(1)
    print(f"outbox: {waiting} deliveries still due or in flight, {dead} dead letters")
    engine.dispose()
    if lost or waiting or dead:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5050")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--database", help="check the acknowledged filings in this database")
    parser.add_argument("--drain", type=float, default=120,
                        help="seconds to wait for the workers to empty the outbox")
    parser.add_argument("--write-procedure", type=Path, metavar="FOLDER",
                        help="write the 20-field procedure into FOLDER and stop")
    args = parser.parse_args()
    if args.write_procedure:
        args.write_procedure.mkdir(parents=True, exist_ok=True)
        (args.write_procedure / f"{SLUG}.yaml").write_text(form_yaml(), "utf-8")
        print(f"{args.write_procedure / SLUG}.yaml written")
        return
    outcome = run(args.url, args.clients, args.seconds)
    results, elapsed = outcome["results"], outcome["elapsed"]
    if not results:
        raise SystemExit(f"no filing succeeded: {outcome['failures'][:5]}")
    submits = sorted(r[0] for r in results)
    wholes = sorted(r[1] for r in results)

    def p(values, q):
        return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 \
            else values[0] * 1000

    print(f"{len(results)} filings in {elapsed:.0f} s by {args.clients} clients: "
          f"{len(results) / elapsed:.1f} submissions/s; {len(outcome['failures'])} failed")
    print(f"submit step: p50 {p(submits, 50):.0f} ms, p95 {p(submits, 95):.0f} ms; "
          f"whole filing: p50 {p(wholes, 50):.0f} ms, p95 {p(wholes, 95):.0f} ms")
    for failure in sorted(set(outcome["failures"]))[:5]:
        print(f"  failure: {failure}")
    if args.database:
        check(args.database, [r[2] for r in results], args.drain)


if __name__ == "__main__":
    main()
