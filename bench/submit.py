"""Benchmark: submitting a 20-field form with Guichet, against a hand-written Flask +
SQLAlchemy endpoint that validates the same fields and writes the same rows.

The procedure (``FORM`` below: 20 fields of seven types on two pages, filed anonymously,
with a receipt) is published into a SQLite database (the embedded default). Guichet files
it through HTTP (the Flask test client, CSRF on): the draft is started, both pages posted,
the review shown, then the submission sent. The hand-written app (``handwritten``) takes
the same answers in one POST, checks them by hand (required, lengths, e-mail, dates,
integer bounds, choices), and writes, in one transaction on its own copy of the same tables,
the rows Guichet's submission writes (every table that gets an INSERT or UPDATE during
Guichet's submit step, with as many rows). Reported: the time of one submission (the
submit step alone, then the whole filing), the statements each runs, and the ratios.

    python bench/submit.py [--runs 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
ENVIRON = {"GUICHET_WEBHOOK_SECRET": "bench", "GUICHET_SMTP_PASSWORD": "bench",
           "GUICHET_REGISTRY_SECRET": "bench", "GUICHET_AMQP_URL": "amqp://bench"}

FIELDS = (
    [("nom", "text"), ("prenom", "text"), ("nom_usage", "text"), ("adresse", "text"),
     ("complement", "text"), ("code_postal", "text"), ("commune", "text"), ("pays", "text"),
     ("courriel", "email"), ("courriel_secours", "email"),
     ("naissance", "date"), ("arrivee", "date"), ("debut", "date"),
     ("enfants", "integer"), ("pieces", "integer"), ("annees", "integer"),
     ("situation", "choice"), ("logement", "choice"),
     ("motif", "textarea"), ("remarques", "textarea")]
)
CHOICES = {"situation": ["seul", "couple", "autre"], "logement": ["locataire", "proprietaire"]}
ANSWERS = {
    "nom": "Martin", "prenom": "Léa", "nom_usage": "Durand", "adresse": "3 rue des Lilas",
    "complement": "Bâtiment B", "code_postal": "41000", "commune": "Valbois-sur-Loire",
    "pays": "France", "courriel": "lea.martin@example.org",
    "courriel_secours": "l.durand@example.org", "naissance": "1990-04-02",
    "arrivee": "2020-09-01", "debut": "2026-01-05", "enfants": "2", "pieces": "4",
    "annees": "6", "situation": "couple", "logement": "locataire",
    "motif": "Demande de logement social.", "remarques": "Disponible le matin.",
}


def form_yaml() -> str:
    lines = []
    for page, chunk in (("identite", FIELDS[:10]), ("situation", FIELDS[10:])):
        lines.append(f"    - id: {page}\n      title: Page {page}\n      fields:")
        for name, kind in chunk:
            lines.append(f"        - id: {name}\n          type: {kind}\n"
                         f"          label: Champ {name}\n          required: true")
            if kind in ("text", "textarea"):
                lines.append("          max_length: 200")
            if kind == "integer":
                lines.append("          min: 0\n          max: 99")
            if kind == "date":
                lines.append("          max: today")
            if kind == "choice":
                options = "".join(f"\n            {o}: {o.title()}" for o in CHOICES[name])
                lines.append(f"          options:{options}")
    pages = "\n".join(lines)
    return f"""procedure: banc-vingt-champs
version: 1
title: Demande en vingt champs
summary: Le formulaire du banc d'essai.
department: etat-civil
login: none
reference: "BVC-{{year}}-{{seq:06d}}"
retention_days: 365
form:
  pages:
{pages}
  review: true
workflow:
  initial: recue
  states:
    - id: recue
      label: Reçue
      department: etat-civil
    - id: traitee
      label: Traitée
      final: true
  transitions:
    - id: traiter
      label: Traiter
      from: recue
      to: traitee
      by: agent
"""


class Recorder:
    def __init__(self, engine):
        self.engine, self.statements = engine, []
        sa.event.listen(engine, "before_cursor_execute", self.record)

    def record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(" ".join(statement.split()))

    def stop(self):
        sa.event.remove(self.engine, "before_cursor_execute", self.record)


def written(statements: list[str]) -> Counter:
    """(verb, table) of each INSERT and UPDATE."""
    found = Counter()
    for statement in statements:
        match = re.match(r"(INSERT INTO|UPDATE) (\w+)", statement)
        if match:
            found[(match.group(1).split()[0], match.group(2))] += 1
    return found


# -- Guichet ------------------------------------------------------------------------------------


def guichet_app(folder: Path):
    os.environ.update(ENVIRON)
    (folder / "procedures").mkdir()
    (folder / "procedures" / "banc-vingt-champs.yaml").write_text(form_yaml(), "utf-8")
    from factory import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'g.db'}",
        "SITE": str(ROOT / "examples" / "guichet.yaml"), "PROCEDURES": str(folder / "procedures"),
        "UPLOAD_FOLDER": str(folder / "uploads"), "RATELIMIT_ENABLED": False,
    })


def csrf(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)


def guichet_draft(client) -> tuple[int, str]:
    """Start a draft, post both pages; returns (case id, the review page's CSRF token)."""
    start = client.post("/demarches/banc-vingt-champs/commencer",
                        data={"csrf_token": csrf(client, "/demarches/banc-vingt-champs")})
    assert start.status_code == 302, start.status_code
    case_id = int(start.headers["Location"].split("/")[2])
    url = client.get(f"/brouillons/{case_id}").headers["Location"]
    for chunk in (FIELDS[:10], FIELDS[10:]):
        data = {"csrf_token": csrf(client, url), "nav": "next",
                **{name: ANSWERS[name] for name, _ in chunk}}
        response = client.post(url, data=data)
        assert response.status_code == 302, (url, response.status_code,
                                             re.findall(r'<a href="#[^"]+">([^<]+)</a>',
                                                        response.get_data(as_text=True)))
        url = response.headers["Location"]
    assert url.endswith("/verification"), url
    return case_id, csrf(client, url)


def guichet_submit(client, case_id: int, token: str) -> None:
    response = client.post(f"/brouillons/{case_id}/envoi",
                           data={"csrf_token": token, "submission": str(uuid.uuid4())})
    assert response.status_code == 302, response.status_code
    assert "/recu" in response.headers["Location"], response.headers["Location"]


# -- by hand --------------------------------------------------------------------------------


def handwritten_app(folder: Path, rows: Counter):
    """Flask + SQLAlchemy by hand: one POST validates the 20 fields and writes, in one
    transaction, as many rows in the same tables as Guichet's submit step does."""
    from flask import Flask, abort, redirect, request

    from engine.db import Base

    engine = sa.create_engine(f"sqlite:///{folder / 'hand.db'}")

    @sa.event.listens_for(engine, "connect")
    def pragmas(connection, record):  # the same settings as Guichet's SQLite (engine/db.py)
        cursor = connection.cursor()
        for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    Base.metadata.create_all(engine)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO procedure_versions (slug, version, source, workflows, source_hash, "
            "published_at) VALUES ('banc-vingt-champs', 1, '', '{}', '', CURRENT_TIMESTAMP)"))
    app = Flask("handwritten")
    email = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)

    def check(form) -> dict:
        values, errors = {}, {}
        for name, kind in FIELDS:
            raw = (form.get(name) or "").strip()
            if not raw:
                errors[name] = "required"
                continue
            if kind in ("text", "textarea") and len(raw) > 200:
                errors[name] = "too long"
            elif kind == "email" and not email.match(raw):
                errors[name] = "e-mail"
            elif kind == "date":
                try:
                    if dt.date.fromisoformat(raw) > dt.date.today():
                        errors[name] = "future"
                except ValueError:
                    errors[name] = "date"
            elif kind == "integer":
                if not raw.isdigit() or not 0 <= int(raw) <= 99:
                    errors[name] = "integer"
                else:
                    raw = int(raw)
            elif kind == "choice" and raw not in CHOICES[name]:
                errors[name] = "choice"
            values[name] = raw.lower() if kind == "email" else raw
        if errors:
            abort(422)
        return values

    cases = metadata.tables["cases"]

    @app.post("/envoi")
    def submit():
        answers = check(request.form)
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as connection:
            # the reference counter and the case: an upsert, then the case row
            reference = connection.execute(sa.text(
                "INSERT INTO reference_counters (procedure, year, last) "
                "VALUES ('banc-vingt-champs', 2026, 1) ON CONFLICT (procedure, year) "
                "DO UPDATE SET last = reference_counters.last + 1 RETURNING last")).scalar_one()
            case_id = connection.execute(cases.insert().values(
                procedure="banc-vingt-champs", version_id=1,
                reference=f"BVC-2026-{reference:06d}", state="recue", department="etat-civil",
                channel="online", answers=answers, created_at=now, submitted_at=now,
                state_entered_at=now, last_activity_at=now, lock_version=1,
                tracking_token=uuid.uuid4().hex, idempotency_key=str(uuid.uuid4()),
            ).returning(cases.c.id)).scalar_one()
            for (verb, table), count in rows.items():
                if verb != "INSERT" or table in ("cases", "reference_counters"):
                    continue
                insert_rows(connection, metadata.tables[table], count, case_id, now)
        return redirect(f"/recu/{case_id}")

    return app, engine


def insert_rows(connection, table: sa.Table, count: int, case_id: int, now) -> None:
    """``count`` rows of ``table`` for the case, every NOT NULL column given a value."""
    values = {}
    for column in table.columns:
        if column.primary_key and column.autoincrement in (True, "auto"):
            continue
        if column.name == "case_id":
            values[column.name] = case_id
        elif column.nullable and column.name not in ("payload",):
            continue
        elif isinstance(column.type, sa.DateTime):
            values[column.name] = now
        elif isinstance(column.type, sa.Integer):
            values[column.name] = 1
        elif isinstance(column.type, sa.Boolean):
            values[column.name] = False
        elif isinstance(column.type, sa.JSON):
            values[column.name] = {"subject": "Accusé de réception", "body": "x" * 500}
        else:
            values[column.name] = str(uuid.uuid4())[: getattr(column.type, "length", None) or 36]
    connection.execute(table.insert(), [values] * count)


# -- measuring ------------------------------------------------------------------------------


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = guichet_app(folder)
        engine = app.extensions["guichet"].engine
        client = app.test_client()
        for _ in range(3):  # warm up: compile the version and the forms
            guichet_submit(client, *guichet_draft(client))
        recorder = Recorder(engine)
        guichet_submit(client, *guichet_draft(client))
        recorder.stop()
        whole_statements = len(recorder.statements)
        case_id, token = guichet_draft(client)
        recorder = Recorder(engine)
        guichet_submit(client, case_id, token)
        recorder.stop()
        submit_statements = recorder.statements
        rows = written(submit_statements)

        hand, hand_engine = handwritten_app(folder, rows)
        hand_client = hand.test_client()
        for _ in range(3):
            assert hand_client.post("/envoi", data=ANSWERS).status_code == 302
        recorder = Recorder(hand_engine)
        assert hand_client.post("/envoi", data=ANSWERS).status_code == 302
        recorder.stop()
        hand_statements = recorder.statements

        ours_submit, ours_whole, theirs = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            case_id, token = guichet_draft(client)
            middle = time.perf_counter()
            guichet_submit(client, case_id, token)
            end = time.perf_counter()
            ours_submit.append(end - middle)
            ours_whole.append(end - start)
            start = time.perf_counter()
            hand_client.post("/envoi", data=ANSWERS)
            theirs.append(time.perf_counter() - start)
    print(f"{args.runs} filings of a 20-field form (SQLite, Flask test client)")
    print("rows written by the submit step: "
          + ", ".join(f"{verb} {table} x{n}" for (verb, table), n in sorted(rows.items())))
    print(f"hand-written endpoint      {median_ms(theirs):7.2f} ms  "
          f"({len(hand_statements)} statements)")
    print(f"Guichet, submit step       {median_ms(ours_submit):7.2f} ms  "
          f"({len(submit_statements)} statements)  "
          f"{median_ms(ours_submit) / median_ms(theirs):.1f}x the hand-written one")
    print(f"Guichet, whole filing      {median_ms(ours_whole):7.2f} ms  "
          f"({whole_statements} statements: start, two pages, review, submit)  "
          f"{median_ms(ours_whole) / median_ms(theirs):.1f}x")
    print("target: the submit step at most 2x the hand-written one: "
          f"{'met' if median_ms(ours_submit) <= 2 * median_ms(theirs) else 'NOT met'}")
    if os.environ.get("BENCH_VERBOSE"):
        print("\n".join(submit_statements))


if __name__ == "__main__":
    main()
