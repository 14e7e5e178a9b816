"""Benchmark: outbox deliveries per second, against a bare httpx loop to the same receiver.

A local HTTP/1.1 receiver runs in a process of its own (keep-alive, it answers 204 and
counts what it received). In this one process, then:

1. the baseline: a bare loop of ``httpx.Client.post`` of the same JSON bodies;
2. ``engine.worker.Worker`` delivering as many outbox rows through the ``webhook``
   connector (signed bodies, the same client library) to the same receiver: rows claimed
   in batches, the results written once per batch;
3. the same worker writing each result in its own transaction (``flush_every=0``: the result,
   and the lease of the rows still waiting extended, after each delivery), close to what the
   worker did before batches.

The receiver's count is checked after each run: every delivery arrived.

    python bench/outbox.py [--rows 3000] [--batch 50] [--database URL]

The database is PostgreSQL by default (``guichet_bench_outbox`` on 127.0.0.1, created
afresh); ``--database sqlite`` uses a SQLite file (the embedded default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import sqlalchemy as sa

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_outbox"


# -- the receiver -----------------------------------------------------------------------------


def serve(port_pipe) -> None:
    received = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received["count"] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            body = str(received["count"]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_pipe.send(server.server_address[1])
    server.serve_forever()


def received(url: str) -> int:
    return int(httpx.get(url).text)


# -- the database -----------------------------------------------------------------------------


def fresh_engine(database: str, tmp: Path):
    from engine import models
    from engine.db import Base, make_engine

    assert models.OutboxMessage.__table__.metadata is Base.metadata  # the tables are declared

    if database == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'outbox.db'}")
    else:
        url = BENCH_URL if database == "postgresql" else database
        name = url.rsplit("/", 1)[-1]
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = make_engine(url)
    Base.metadata.create_all(engine)
    return engine


def enqueue(sessions, rows: int) -> None:
    from engine import outbox
    from engine.db import utcnow

    now = utcnow() - dt.timedelta(seconds=1)
    with sessions() as session, session.begin():
        session.execute(sa.text("DELETE FROM outbox"))
        for n in range(rows):
            outbox.enqueue(
                session, case=None, kind="send", connector="bench", now=now,
                payload={"id": n, "procedure": "acte-naissance", "reference": f"B-{n:06d}"},
            )


# -- the runs ---------------------------------------------------------------------------------


def bare_loop(url: str, rows: int) -> float:
    with httpx.Client(timeout=10) as client:
        start = time.perf_counter()
        for n in range(rows):
            body = json.dumps(
                {"id": n, "procedure": "acte-naissance", "reference": f"B-{n:06d}"},
                separators=(",", ":"),
            ).encode()
            response = client.post(url, content=body,
                                   headers={"Content-Type": "application/json"})
            response.raise_for_status()
        return time.perf_counter() - start


def worker_run(engine, url: str, rows: int, batch: int, flush_every: float) -> float:
    from connectors.registry import ConnectorRegistry
    from connectors.webhook import WebhookConnector
    from engine.catalogue import Runtime
    from engine.db import make_session_factory
    from engine.worker import Worker

    sessions = make_session_factory(engine)
    enqueue(sessions, rows)
    registry = ConnectorRegistry(None, types={})
    registry.instances["bench"] = WebhookConnector("bench", {"url": url, "secret": "bench"})
    worker = Worker(Runtime(), sessions, registry.deliver, batch=batch,
                    flush_every=flush_every, rollup_every=None)
    try:
        start = time.perf_counter()
        while worker.run_outbox():
            pass
        elapsed = time.perf_counter() - start
    finally:
        registry.close()
    with sessions() as session:
        left = session.scalar(sa.text("SELECT count(*) FROM outbox WHERE status <> 'delivered'"))
    assert left == 0, f"{left} rows not delivered"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--database", default="postgresql",
                        help="postgresql (the default), sqlite, or a PostgreSQL URL")
    args = parser.parse_args()

    ours, theirs = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=serve, args=(theirs,), daemon=True)
    receiver.start()
    base = f"http://127.0.0.1:{ours.recv()}"
    url = f"{base}/hook"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = fresh_engine(args.database, Path(tmp))
            bare_loop(url, 200)  # warm up the receiver and the client
            worker_run(engine, url, 200, args.batch, 1.0)
            count = received(base)
            bare = bare_loop(url, args.rows)
            assert received(base) - count == args.rows
            count = received(base)
            batched = worker_run(engine, url, args.rows, args.batch, 1.0)
            assert received(base) - count == args.rows
            count = received(base)
            single = worker_run(engine, url, args.rows, args.batch, 0.0)
            assert received(base) - count == args.rows
            engine.dispose()
    finally:
        receiver.terminate()
    rate = {name: args.rows / seconds
            for name, seconds in (("bare", bare), ("batched", batched), ("single", single))}
    print(f"{args.rows} deliveries, {engine.dialect.name}, batches of {args.batch}")
    print(f"bare httpx loop                       {rate['bare']:8.0f} deliveries/s")
    print(f"worker, results written per batch     {rate['batched']:8.0f} deliveries/s "
          f"({rate['batched'] / rate['bare']:.2f}x the bare loop)")
    print(f"worker, results written per delivery {rate['single']:8.0f} deliveries/s "
          f"({rate['single'] / rate['bare']:.2f}x the bare loop)")
    print(f"target: at least 0.5x the bare loop: "
          f"{'met' if rate['batched'] >= rate['bare'] / 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
