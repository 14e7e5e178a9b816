"""Benchmark: the agents' inbox and dashboard with one million cases on PostgreSQL.

Fills a dedicated database (GUICHET_BENCH_DATABASE, by default ``guichet_bench`` on
127.0.0.1) with 1,000,000 cases across the example procedures (half of them filed
anonymously, with an e-mail in the answers, half for an organisation; some assigned, with
messages and reminders), then measures, through HTTP (the Flask test client, signed in as
an agent), each tab of the inbox with its four exact counts, a deep page, each sort, a
state, searches by reference, by organisation name and by an anonymous filer's e-mail, and
a dashboard. EVERY statement a page runs is recorded, run raw (p95 of the whole set) and
EXPLAINed: any sequential scan is reported with the size of its table.

    python bench/inbox.py [--cases 1000000] [--runs 50] [--reuse]

``--reuse`` measures again on the database an earlier run filled (after a change to the
queries or the indexes: the application's migrations run on it first).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_URL = os.environ.get("GUICHET_BENCH_DATABASE",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench")
ENVIRON = {"GUICHET_WEBHOOK_SECRET": "bench", "GUICHET_SMTP_PASSWORD": "bench",
           "GUICHET_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/",
           "GUICHET_API_PARTICULIER_TOKEN": "bench"}
PASSWORD = "un mot de passe de banc d'essai"  # noqa: S105 - a throw-away benchmark account


def fresh_database() -> None:
    name = BENCH_URL.rsplit("/", 1)[-1]
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def filled() -> bool:
    """Whether the benchmark's database exists and holds its cases."""
    try:
        engine = sa.create_engine(BENCH_URL)
        with engine.connect() as connection:
            return bool(connection.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM cases)")))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def make_app(tmp: Path):
    os.environ.update(ENVIRON)
    from factory import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": BENCH_URL,
        "SITE": str(ROOT / "examples" / "guichet.yaml"), "PROCEDURES": str(ROOT / "examples"),
        "UPLOAD_FOLDER": str(tmp / "uploads"), "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    })


def fill(app, count: int) -> None:
    from factory.accounts import create_account

    state = app.extensions["guichet"]
    catalogue = state.runtime.catalogue
    with state.sessions() as session, session.begin():
        create_account(session, "agent@bench.example", PASSWORD, kind="agent",
                       departments=("etat-civil",), confirmed=True, now=state.clock.now())
        session.execute(sa.text(
            "INSERT INTO accounts (email, name, kind, active, created_at, profile, "
            "prefill_consent, email_confirmed_at) SELECT 'citizen' || g || '@bench.example', "
            "'Citoyen ' || g, 'citizen', true, now(), '{}', false, now() "
            "FROM generate_series(1, 20000) g"))
        versions = []
        for row in catalogue.published(session):
            procedure = catalogue.compiled(session, row.id).procedure
            states = [s for s in procedure.workflow.states]
            versions.append((row.id, row.slug, procedure.department,
                             [s.id for s in states], [s.final for s in states]))
    start = time.perf_counter()
    per = count // len(versions)
    with state.engine.begin() as connection:
        # a bulk load: the counters' trigger is off, then the counts are rebuilt at once, as
        # migration 0008 does (one transaction updating a counter row 100,000 times would
        # walk an ever longer chain of its versions)
        connection.execute(sa.text("ALTER TABLE cases DISABLE TRIGGER cases_inbox_count"))
        for index, (version_id, slug, department, states, finals) in enumerate(versions):
            # half of each procedure's cases in its own department, half in etat-civil
            connection.execute(sa.text(f"""
                INSERT INTO cases (procedure, version_id, reference, state, department, channel,
                    answers, organisation_name, filer_email, owner_id, assignee_id,
                    created_at, submitted_at, closed_at,
                    state_entered_at, last_activity_at, clock_expires_at, lock_version)
                SELECT :slug, :version, 'B{index}-' || lpad(g::text, 7, '0'),
                    (CAST(:states AS text[]))[1 + g % :n],
                    CASE WHEN g % 2 = 0 THEN 'etat-civil' ELSE :dep END,
                    (ARRAY['online','online','online','counter','phone','mail'])[1 + g % 6],
                    CASE WHEN g % 2 = 0
                         THEN jsonb_build_object('nom', 'Nom' || g, 'courriel',
                              'deposant' || g || '.{index}@bench.example')
                         ELSE jsonb_build_object('nom', 'Nom' || g, 'raison_sociale',
                              'Société ' || g || ' ' || CAST(:slug AS varchar)) END,
                    CASE WHEN g % 2 = 1 THEN 'Société ' || g || ' ' || CAST(:slug AS varchar) END,
                    CASE WHEN g % 2 = 0 THEN 'deposant' || g || '.{index}@bench.example' END,
                    CASE WHEN g % 2 = 1 THEN (SELECT min(id) FROM accounts) + 1 + g % 20000 END,
                    CASE WHEN g % 1000 = 0 THEN (SELECT min(id) FROM accounts) END,
                    now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval,
                    CASE WHEN (CAST(:finals AS boolean[]))[1 + g % :n]
                         THEN now() - (g || ' seconds')::interval END,
                    now() - (g || ' minutes')::interval,
                    now() - ((g % 10000) || ' minutes')::interval,
                    CASE WHEN g % 3 > 0 THEN now() + (((g % 90) - 20) || ' days')::interval END, 1
                FROM generate_series(1, {per}) g"""),
                {"slug": slug, "version": version_id, "states": states, "n": len(states),
                 "dep": department, "finals": finals})
    with state.engine.begin() as connection:
        from importlib import import_module

        migration = import_module("engine.migrations.versions.0008_inbox")
        connection.execute(sa.text("DELETE FROM inbox_counts"))
        connection.execute(sa.text(migration.BACKFILL))
        connection.execute(sa.text("ALTER TABLE cases ENABLE TRIGGER cases_inbox_count"))
    with state.engine.begin() as connection:
        # a citizen's message on one case in a hundred, a reminder on another
        connection.execute(sa.text(
            "INSERT INTO messages (case_id, author_kind, body, created_at) "
            "SELECT id, 'citizen', 'Bonjour', now() FROM cases WHERE id % 100 = 0"))
        connection.execute(sa.text(
            "INSERT INTO reminders (case_id, created_at, comment) "
            "SELECT id, now(), '' FROM cases WHERE id % 100 = 50"))
    # what autovacuum does on a live database: statistics and the visibility map
    with state.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    print(f"{per * len(versions)} cases inserted in {time.perf_counter() - start:.0f} s")


class Recorder:
    """The SQL statements a request runs, to run them raw and to EXPLAIN them."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self.record)

    def record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def stop(self):
        sa.event.remove(self.engine, "before_cursor_execute", self.record)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


def measure(app, client, name: str, url: str, runs: int) -> dict:
    """p95 of ``url`` through HTTP and of all its statements run raw; the sequential scans
    of their plans, with the number of rows of the table scanned."""
    engine = app.extensions["guichet"].engine
    client.get(url)  # warm the caches
    recorder = Recorder(engine)
    client.get(url)
    recorder.stop()
    queries = recorder.statements
    http = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        http.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    raw = []
    scans = set()
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        for statement, parameters in queries:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            scans |= _seq_scans(plan[0]["Plan"])
        for _ in range(runs):
            start = time.perf_counter()
            for statement, parameters in queries:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            raw.append(time.perf_counter() - start)
        connection.rollback()
        sizes = {table: connection.scalar(sa.text(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = :t"), {"t": table})
            for table in scans}
    described = ", ".join(f"{t} ({sizes[t]:,} rows)" for t in sorted(scans)) or "none"
    print(f"{name:<30} HTTP p95 {p95(http):7.1f} ms   raw SQL p95 {p95(raw):7.1f} ms   "
          f"({len(queries)} statements; sequential scans: {described})", flush=True)
    return {"http": p95(http), "raw": p95(raw), "statements": len(queries), "scans": sizes}


def _seq_scans(node) -> set[str]:
    found = {node["Relation Name"]} if node.get("Node Type") == "Seq Scan" else set()
    for child in node.get("Plans", []):
        found |= _seq_scans(child)
    return found


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the cases an earlier run inserted")
    args = parser.parse_args()
    reuse = args.reuse and filled()
    if not reuse:
        fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        if not reuse:
            fill(app, args.cases)
        state = app.extensions["guichet"]
        with state.sessions() as session, session.begin():
            from engine import rollups

            start = time.perf_counter()
            rollups.refresh(session, state.clock.now(), state.runtime.calendar)
            print(f"rollups refreshed in {time.perf_counter() - start:.1f} s")
        client = app.test_client()
        client.post("/connexion", data={"email": "agent@bench.example", "password": PASSWORD})
        # as factory.wsgi does once the application is built: what the process keeps is out
        # of the garbage collector's full walks (here after a first page has compiled the
        # versions the inbox reads)
        client.get("/agents/")
        gc.collect()
        gc.freeze()
        from engine.inbox import Cursor

        with state.engine.connect() as connection:
            deep = connection.execute(sa.text(
                "SELECT submitted_at, id FROM cases WHERE department = 'etat-civil' "
                "AND closed_at IS NULL AND submitted_at IS NOT NULL AND assignee_id IS NULL "
                "ORDER BY submitted_at DESC, id DESC OFFSET :deep LIMIT 1"),
                {"deep": min(100_000, args.cases // 10)}).one()
            reference = connection.scalar(sa.text(
                "SELECT reference FROM cases WHERE department = 'etat-civil' "
                "AND closed_at IS NULL ORDER BY id LIMIT 1 OFFSET 5000"))
            typed = connection.scalar(sa.text(
                "SELECT answers->>'courriel' FROM cases WHERE department = 'etat-civil' "
                "AND closed_at IS NULL AND owner_id IS NULL ORDER BY id LIMIT 1 OFFSET :at"),
                {"at": min(7000, args.cases // 200)})
            organisation = connection.scalar(sa.text(
                "SELECT answers->>'raison_sociale' FROM cases WHERE department = 'etat-civil' "
                "AND closed_at IS NULL AND owner_id IS NOT NULL ORDER BY id LIMIT 1 OFFSET :at"),
                {"at": min(9000, args.cases // 200)})
        after = Cursor(deep[0], deep[1]).encode()
        pages = {
            "to handle, first page": "/agents/",
            "to handle, deep page": f"/agents/?after={after}",
            "my cases": "/agents/?tab=mine",
            "waiting for the citizen": "/agents/?tab=waiting",
            "closed": "/agents/?tab=closed",
            "sorted by legal deadline": "/agents/?sort=deadline&order=asc",
            "sorted by last activity": "/agents/?sort=activity",
            "one state": "/agents/?state=recue",
            "search by reference": f"/agents/?q={reference}",
            "search, organisation name": f"/agents/?q={quote(organisation)}",
            "search, anonymous e-mail": f"/agents/?q={quote(typed)}",
        }
        results = {name: measure(app, client, name, url, args.runs) for name, url in pages.items()}
        measure(app, client, "dashboard", "/agents/tableaux-de-bord/acte-naissance", args.runs)
        worst = max(r["http"] for r in results.values())
        big = {t for r in results.values() for t, rows in r["scans"].items() if rows > 1000}
        print(f"inbox: worst HTTP p95 {worst:.1f} ms; "
              f"sequential scans of tables over 1,000 rows: {', '.join(sorted(big)) or 'none'}")


if __name__ == "__main__":
    main()
