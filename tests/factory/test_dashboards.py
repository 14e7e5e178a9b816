"""Dashboards: the overview and the procedures' pages, read from the rollups only, in
French words and numbers, fresh within a minute."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from engine import cases
from engine.clock import FrozenClock
from engine.models import Rollup
from engine.worker import Worker
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS
from .portal_helpers import BACK_OFFICE, sign_in

NNBSP = "\u202f"  # the thin space French puts between thousands and before %


# the back office's accounts: citizens and agents (``filed``: a case filed online)
@pytest.fixture
def people():
    return {**BACK_OFFICE, "chef@example.org": ("supervisor", ("etat-civil", "voirie"))}

BOARD = "/agents/tableaux-de-bord/acte-naissance"
FIGURES = {
    "filed_per_week": [
        {"week": "2026-W48", "start": "2026-11-23", "count": 1250},
        {"week": "2026-W49", "start": "2026-11-30", "count": 31},
    ],
    "open_by_state": {"recue": 17, "attente_usager": 4},
    "open": 21,
    "processing_hours": {"24": 1, "48": 1, "300": 1, "600": 1},
    "state_hours": {"recue": {"48": 2}, "attente_usager": {"240": 1}},
    "waiting_hours": {"recue": {"24": 1}},
    "overdue": 3,
    "expired": 2,
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
    for url in (
        "/agents/tableaux-de-bord/",
        BOARD,
        "/agents/export.csv?procedure=acte-naissance",
        "/agents/export.xlsx",
    ):
        assert citizen.get(url).status_code == 404
        visitor = app.test_client().get(url)
        assert visitor.status_code == 302 and "/connexion" in visitor.headers["Location"]


def test_the_inbox_links_to_the_dashboards(app):
    page = agent(app).get("/agents/").get_data(as_text=True)
    assert 'href="/agents/tableaux-de-bord/"' in page


def plain(page: str) -> str:
    """The page's text without tags, spaces as a reader sees them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(NNBSP, " ")


def test_agents_see_the_dashboards_of_their_departments_only(app):
    add_rollup(app)
    add_rollup(app, "signalement-voirie", "voirie")
    add_rollup(app, "acte-naissance", "voirie", dict(FIGURES, open=9999))
    ec, voirie = agent(app), agent(app, "voirie@example.org")
    listing = ec.get("/agents/tableaux-de-bord/").get_data(as_text=True)
    assert f'href="{BOARD}"' in listing and "Demande d&#39;acte de naissance" in listing
    assert "signalement-voirie" not in listing and "Voirie et espaces publics" not in listing
    page = ec.get(BOARD).get_data(as_text=True)
    assert "board-time-in-state" in page and "9" + NNBSP + "999" not in page
    assert ec.get(f"{BOARD}?departement=etat-civil").status_code == 200
    assert ec.get(f"{BOARD}?departement=voirie").status_code == 404
    assert "Aucune statistique" in ec.get("/agents/tableaux-de-bord/signalement-voirie").get_data(
        as_text=True
    )
    assert "État civil" not in plain(voirie.get(BOARD).get_data(as_text=True))
    assert "9 999" in plain(voirie.get("/agents/tableaux-de-bord/").get_data(as_text=True))


def test_the_overview_adds_up_every_department_a_supervisor_sees(app):
    add_rollup(app)
    add_rollup(app, "acte-naissance", "voirie", dict(FIGURES, open=100, expired=5))
    add_rollup(app, "signalement-voirie", "voirie")
    page = agent(app, "chef@example.org").get("/agents/tableaux-de-bord/").get_data(as_text=True)
    text = plain(page)
    assert "toute la ville" in text
    # the birth certificates of both departments in one row, the departments by name
    row = plain(page[page.index(f'href="{BOARD}"') :].split("</tr>")[0])
    assert "État civil, Voirie et espaces publics" in row
    assert "121" in row and " 7 " in row  # open 21 + 100; expired 2 + 5
    # the town: three rollups of 1 281 filings each, by department and by procedure
    assert "3 843" in text
    departments = page[page.index('id="departments-heading"') :]
    assert plain(departments).index("État civil") < plain(departments).index("Voirie")
    assert "semaine du 30 novembre 2026" in text and "2026-W49" not in text


def test_a_procedure_page_shows_figures_in_french_and_never_aggregates_cases(
    app, filed, statements
):
    ec = agent(app)
    empty = ec.get(BOARD)
    assert empty.status_code == 200
    page = empty.get_data(as_text=True)
    assert "<svg" not in page and "Aucune statistique" in page  # a filed case is no rollup

    add_rollup(app)
    statements.clear()
    page = ec.get(BOARD).get_data(as_text=True)
    assert not [s for s in statements if " cases" in s or "count(" in s]
    text = plain(page)
    assert page.count("<svg") == 5 and page.count('role="img"') == 5
    # weeks as dates, counts, processing time (1, 2, 12.5 and 25 days), expired clocks
    assert "semaine du 23 novembre 2026" in text and "1 250" in text
    assert "7,25 jours" in text and "21,25 jours" in text
    assert "Délai légal dépassé 2" in text
    assert "4,17 sur 5" in text
    # the time in each state: "En attente de vos précisions" holds two thirds of it
    table = page[page.index('<table id="board-time-in-state-data"') :].split("</table>")[0]
    rows = table.split("<tr")
    bottleneck = next(r for r in rows if 'class="highlight"' in r)
    assert "En attente de vos précisions" in bottleneck and "goulot" in plain(bottleneck)
    assert "66,7 %" in plain(bottleneck)
    assert "33,3 %" in plain(next(r for r in rows if "Reçue" in r))
    assert "attente_usager" not in text and "2026-W48" not in text
    for chart in ("filed-per-week", "processing-time", "time-in-state", "deadlines"):
        # the chart names its title and description, and its figures follow in a table
        chart = f"board-{chart}"
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
        svg_end = page.index("</svg>", page.index(f'<title id="{chart}-title">'))
        assert page.index(f'<table id="{chart}-data"') > svg_end
    assert 'class="bar bar-highlight"' in page
    for link in ("/agents/export.xlsx?procedure=acte-naissance", "/agents/export.csv?procedure="):
        assert link in page


def test_a_new_case_is_in_the_figures_after_one_refresh(app, filed):
    """The worker refreshes every minute (ROLLUP_EVERY_SECONDS): a case filed now is
    counted by the next refresh, and the page says when the figures were computed."""
    state = app.extensions["guichet"]
    assert app.config["ROLLUP_EVERY_SECONDS"] == 60
    clock = FrozenClock(state.clock.now())
    worker = Worker(
        state.runtime,
        state.sessions,
        lambda delivery: None,
        clock=clock,
        rollup_every=dt.timedelta(seconds=app.config["ROLLUP_EVERY_SECONDS"]),
    )
    assert worker.refresh_rollups() is True
    ec = agent(app)

    def open_now() -> str:
        page = plain(ec.get(BOARD).get_data(as_text=True))
        return page[page.index("En cours") :][:20]

    assert open_now().startswith("En cours 1 ")
    with state.sessions() as session, session.begin():
        cases.submit_answers(
            session,
            state.runtime,
            state.runtime.catalogue.current(session, "acte-naissance"),
            dict(BIRTH_ANSWERS),
            Actor("citizen"),
            clock,
        )
    clock.advance(dt.timedelta(seconds=30))
    assert worker.refresh_rollups() is False  # within the minute: the figures stand
    clock.advance(dt.timedelta(seconds=30))
    assert worker.refresh_rollups() is True
    assert open_now().startswith("En cours 2 ")
