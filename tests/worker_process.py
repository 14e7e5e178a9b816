"""A real worker process, for the tests that kill one with SIGKILL or stop one with SIGTERM
(test_engine_worker.py).

    python -P tests/worker_process.py DATABASE_URL LOG [--schema S] [--batch N] [--delay SECONDS]

It builds a Runtime from examples/guichet.yaml (the secrets come from the environment, as
tests/conftest.py EXAMPLE_ENVIRON sets them), then delivers the due outbox rows of the
database until none is left, or until SIGTERM (handled as ``guichet worker`` does, with
``engine.worker.stop_on_signals``). Its connector appends each event id to LOG, one line,
flushed and fsynced before it returns, so that what was delivered survives the kill; it
sleeps a little per delivery so that the signal lands in the middle of a batch. It prints
"started", then "done" when it ran out of rows or "stopped" when SIGTERM stopped it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--schema", help="PostgreSQL schema holding the tables")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.01)
    args = parser.parse_args(argv)

    from definitions.folders import load_site_file
    from engine.catalogue import Runtime
    from engine.db import make_engine, make_session_factory
    from engine.worker import Worker, stop_on_signals

    site, problems = load_site_file(EXAMPLES / "guichet.yaml", os.environ)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    runtime = Runtime(site=site)
    options = {"connect_args": {"options": f"-csearch_path={args.schema}"}} if args.schema else {}
    engine = make_engine(args.url, **options)
    sessions = make_session_factory(engine)

    def deliver(delivery) -> None:
        with open(args.log, "a", encoding="utf-8") as log:
            log.write(delivery.event_id + "\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(args.delay)

    stop = threading.Event()
    stop_on_signals(stop)
    worker = Worker(runtime, sessions, deliver, batch=args.batch)
    worker.stopping = stop
    print("started", flush=True)
    while worker.run_outbox() and not stop.is_set():
        pass
    engine.dispose()
    print("stopped" if stop.is_set() else "done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
