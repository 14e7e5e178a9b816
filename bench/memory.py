"""Benchmark: resident memory of a Guichet process with 500 procedures published, against an
empty Flask + SQLAlchemy app, and the time of its first ``GET /``.

The 500 procedures are generated from the examples (as bench/load_procedures.py does) and
published into a SQLite database by a first process. Then, each in a fresh process of its
own, on the same database:

1. the baseline: a Flask app with one SQLAlchemy engine and one route that reads the
   published versions (``SELECT id, slug FROM procedure_versions``), after one request;
2. Guichet (``factory.create_app``, as a gunicorn worker would run it) after its first
   ``GET /`` (the catalogue of 500 procedures): the resident size, the time of that request
   and how many versions it compiled;
3. the same process after compiling every version (as if cases of all 500 procedures were
   opened): the worst case, reported for information.

    python bench/memory.py [--count 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRON = {
    "GUICHET_WEBHOOK_SECRET": "bench",
    "GUICHET_REGISTRY_SECRET": "bench",
    "GUICHET_AMQP_URL": "amqp://bench",
    "GUICHET_SMTP_PASSWORD": "bench",
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def config(folder: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{folder / 'guichet.db'}",
        "SITE": str(folder / "guichet.yaml"),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "RATELIMIT_ENABLED": False,
        **extra,
    }


# -- the processes ----------------------------------------------------------------------------


def publish(folder: Path) -> dict:
    from factory import create_app

    app = create_app(config(folder, PROCEDURES=str(folder / "procedures")))
    state = app.extensions["guichet"]
    with state.sessions() as session:
        return {"published": len(state.runtime.catalogue.published(session))}


def empty(folder: Path) -> dict:
    import sqlalchemy as sa
    from flask import Flask

    engine = sa.create_engine(f"sqlite:///{folder / 'guichet.db'}")
    app = Flask("empty")

    @app.route("/")
    def index():
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, slug FROM procedure_versions")).all()
        return f"{len(rows)} procedures"

    assert app.test_client().get("/").status_code == 200
    return {"rss": rss_mb()}


def guichet(folder: Path) -> dict:
    from factory import create_app

    app = create_app(config(folder))
    state = app.extensions["guichet"]
    catalogue = state.runtime.catalogue
    client = app.test_client()
    start = time.perf_counter()
    response = client.get("/")
    first = time.perf_counter() - start
    assert response.status_code == 200
    start = time.perf_counter()
    client.get("/")
    second = time.perf_counter() - start
    result = {"rss": rss_mb(), "first": first, "second": second,
              "compiled": len(catalogue._compiled)}
    with state.sessions() as session:
        rows = catalogue.published(session)
        start = time.perf_counter()
        for row in rows:
            catalogue.compiled(session, row.id)
        result["compile_all"] = time.perf_counter() - start
    result["rss_all"] = rss_mb()
    return result


def child(kind: str, folder: Path) -> dict:
    done = subprocess.run(  # noqa: S603 - this script, with fixed arguments
        [sys.executable, __file__, "--child", kind, "--folder", str(folder)],
        env={**os.environ, **ENVIRON}, capture_output=True, text=True, check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--child", choices=["publish", "empty", "guichet"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child:
        os.environ.update(ENVIRON)
        function = {"publish": publish, "empty": empty, "guichet": guichet}[args.child]
        print(json.dumps(function(args.folder)))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from load_procedures import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "procedures").mkdir()
        generate(folder / "procedures", args.count)
        (folder / "procedures" / "guichet.yaml").rename(folder / "guichet.yaml")
        published = child("publish", folder)["published"]
        base = child("empty", folder)
        ours = child("guichet", folder)
    print(f"{published} procedures published (SQLite)")
    print(f"empty Flask + SQLAlchemy app, after one request   {base['rss']:7.1f} MB")
    print(f"Guichet after its first GET /                     {ours['rss']:7.1f} MB "
          f"(+{ours['rss'] - base['rss']:.1f} MB; first GET / {ours['first'] * 1000:.0f} ms, "
          f"the next {ours['second'] * 1000:.0f} ms; {ours['compiled']} versions compiled)")
    print(f"Guichet after compiling all {published} versions         {ours['rss_all']:7.1f} MB "
          f"(+{ours['rss_all'] - base['rss']:.1f} MB; compiling them took "
          f"{ours['compile_all']:.1f} s)")
    print(f"target: +60 MB at most after GET /: "
          f"{'met' if ours['rss'] - base['rss'] <= 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
