"""Dashboards (read from the rollups only) and the streamed CSV export of the back office."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from engine import cases
from engine.models import Case, Rollup
from engine.workflow import Actor
from factory.backoffice.dashboards import FIXED_COLUMNS, export_rows

from ..engine_helpers import BIRTH_ANSWERS
from .portal_helpers import BACK_OFFICE, sign_in


# the back office's accounts: citizens and agents (``filed``: a case filed online)
@pytest.fixture
def people():
    return BACK_OFFICE

BOARD = "/agents/tableaux-de-bord/acte-naissance"
FIGURES = {
    "filed_per_week": [{"week": "2026-W10", "start": "2026-03-02", "count": 31}],
    "open_by_state": {"recue": 17, "attente_usager": 4},
    "open": 21,
    "processing_days": {"closed": 40, "median": 12.5, "p90": 27.25},
    "overdue": 3,
    "expiring": {"7": 2, "30": 9},
    "satisfaction": {
        "count": 6,
        "average": 4.17,
        "ratings": {"1": 0, "2": 0, "3": 1, "4": 3, "5": 2},
    },
}


def add_rollup(app, procedure="acte-naissance", department="etat-civil", data=None):
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        session.add(
            Rollup(
                procedure=procedure,
                department=department,
                computed_at=state.clock.now(),
                data=data or FIGURES,
            )
        )


def agent(app, email="ec@example.org"):
    client = app.test_client()
    sign_in(client, email)
    return client


@pytest.fixture
def statements(app):
    """The SQL statements the application runs, while the test records them."""
    seen: list[str] = []
    engine = app.extensions["guichet"].engine

    def record(_connection, _cursor, statement, *_args):
        seen.append(statement.lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def test_only_staff_reach_the_dashboards_and_the_export(app, filed):
    citizen, _ = filed
    for url in ("/agents/tableaux-de-bord/", BOARD, "/agents/export.csv?procedure=acte-naissance"):
        assert citizen.get(url).status_code == 404
        visitor = app.test_client().get(url)
        assert visitor.status_code == 302 and "/connexion" in visitor.headers["Location"]


def test_the_inbox_links_to_the_dashboards(app):
    page = agent(app).get("/agents/").get_data(as_text=True)
    assert 'href="/agents/tableaux-de-bord/"' in page


def test_agents_see_the_dashboards_of_their_departments_only(app):
    add_rollup(app)
    add_rollup(app, "signalement-voirie", "voirie")
    add_rollup(app, "acte-naissance", "voirie", dict(FIGURES, open_by_state={"recue": 9999}))
    ec, voirie = agent(app), agent(app, "voirie@example.org")
    listing = ec.get("/agents/tableaux-de-bord/").get_data(as_text=True)
    assert f"{BOARD}?departement=etat-civil" in listing
    assert "signalement-voirie" not in listing and "departement=voirie" not in listing
    page = ec.get(BOARD).get_data(as_text=True)
    assert "etat-civil-open-by-state" in page and "9999" not in page
    assert ec.get(f"{BOARD}?departement=etat-civil").status_code == 200
    assert ec.get(f"{BOARD}?departement=voirie").status_code == 404
    assert "Aucune statistique" in ec.get("/agents/tableaux-de-bord/signalement-voirie").get_data(
        as_text=True
    )
    page = voirie.get(BOARD).get_data(as_text=True)
    assert "9999" in page and "etat-civil" not in page
    assert voirie.get(f"{BOARD}?departement=etat-civil").status_code == 404


def test_a_dashboard_shows_the_rollup_and_never_aggregates_cases(app, filed, statements):
    ec = agent(app)
    empty = ec.get(BOARD)
    assert empty.status_code == 200
    page = empty.get_data(as_text=True)
    assert "<svg" not in page and "Aucune statistique" in page  # a filed case is no rollup

    add_rollup(app)
    statements.clear()
    page = ec.get(BOARD).get_data(as_text=True)
    assert not [s for s in statements if "cases" in s or "count(" in s]
    assert page.count("<svg") == 5
    for figure in ("17", "12.5", "27.25", "2026-W10", "31", "4.17", "Reçue"):
        assert figure in page
    assert page.count('role="img"') == 5
    for chart in (
        "open-by-state",
        "filed-per-week",
        "processing-time",
        "deadlines",
        "satisfaction",
    ):
        # the chart names its title and description, and its figures follow in a table
        chart = f"etat-civil-{chart}"
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
        svg_end = page.index("</svg>", page.index(f'<title id="{chart}-title">'))
        assert page.index(f'<table id="{chart}-data">') > svg_end
    table = page[page.index('<table id="etat-civil-open-by-state-data">') :]
    assert '<th scope="row">Reçue</th><td>17</td>' in table


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for spreadsheets
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_streams_the_cases_of_the_agents_departments(app, filed):
    _, case_id = filed
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        mine = session.get(Case, case_id)
        other = cases.submit_answers(
            session,
            state.runtime,
            state.runtime.catalogue.current(session, "acte-naissance"),
            dict(BIRTH_ANSWERS, nom="=HYPERLINK(1)"),
            Actor("citizen"),
            state.clock,
        )
        other.department = "voirie"  # as if its workflow had sent it elsewhere
        references = mine.reference, other.reference
    response = agent(app).get("/agents/export.csv?procedure=acte-naissance")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    rows = read_csv(response.get_data())
    assert [r["reference"] for r in rows] == [references[0]]
    row = rows[0]
    assert list(row)[: len(FIXED_COLUMNS)] == list(FIXED_COLUMNS)
    assert row["procedure"] == "acte-naissance" and row["department"] == "etat-civil"
    assert row["state"] == "recue" and row["version"] == "1" and row["closed_at"] == ""
    assert "nom" in row and "adresse_envoi" in row  # one column per top-level field
    assert row["adresse_envoi"].startswith("{")  # structured values as JSON text
    other_rows = read_csv(
        agent(app, "voirie@example.org")
        .get("/agents/export.csv?procedure=acte-naissance")
        .get_data()
    )
    assert [r["reference"] for r in other_rows] == [references[1]]
    assert other_rows[0]["nom"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet


def test_the_export_of_every_procedure_has_the_answers_as_json(app, filed):
    _, case_id = filed
    ec = agent(app)
    assert ec.get("/agents/export.csv?procedure=nothing-like-it").status_code == 404
    response = ec.get("/agents/export.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = read_csv(response.get_data())
    assert [r["procedure"] for r in rows] == ["acte-naissance"]
    assert list(rows[0]) == [*FIXED_COLUMNS, "answers"]
    assert rows[0]["answers"].startswith("{")
    assert read_csv(agent(app, "voirie@example.org").get("/agents/export.csv").get_data()) == []


def test_export_rows_fetch_in_batches_on_both_databases(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        for n in range(250):
            case = cases.submit_answers(
                session,
                runtime,
                published["acte-naissance"],
                dict(BIRTH_ANSWERS),
                Actor("citizen"),
                clock,
            )
            if n % 2:
                case.department = "voirie"
        clock.advance(dt.timedelta(minutes=1))
    chunks = export_rows(sessions, "acte-naissance", ["etat-civil"], ["nom", "adresse_envoi"])
    assert next(chunks) == "\ufeff"
    assert next(chunks).startswith("reference,procedure,")
    body = "".join(chunks)
    lines = list(csv.reader(io.StringIO(body)))
    assert len(lines) == 125
    assert {line[4] for line in lines} == {"etat-civil"}
