"""The receipt page and its PDF, the certificate of implicit decision and the workflow's
documents, as the citizen and the agents reach them: downloads, access-checked."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import cases
from engine.clock import FrozenClock
from engine.models import Account, Case, Document
from engine.worker import Worker
from engine.workflow import Actor

from ..engine_helpers import RecordingConnector, terrace_answers
from ..pdf_reading import facts, need_weasyprint, text_of
from .portal_helpers import BACK_OFFICE, sign_in

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
PUBLIC_DOMAIN = Actor("agent", None, frozenset({"domaine-public"}))


@pytest.fixture(autouse=True)
def _weasyprint():
    need_weasyprint()


@pytest.fixture
def people():
    return {**BACK_OFFICE, "dp@example.org": ("agent", ("domaine-public",))}


@pytest.fixture
def app_config():
    return {"CLOCK": FrozenClock(START)}


def _terrace(app, owner: str = "a@example.org") -> int:
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        account = session.scalars(sa.select(Account).where(Account.email == owner)).one()
        version = state.runtime.catalogue.current(session, "occupation-domaine-public")
        case = cases.new_draft(
            session, state.runtime, version, Actor("citizen", account.id), state.clock
        )
        case.answers = terrace_answers(state.clock.now().date())
        session.flush()
        cases.submit(
            session, state.runtime, case, Actor("citizen", account.id), state.clock, receipt=True
        )
        return case.id


def _pdf(response) -> bytes:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_data()


def test_the_receipt_page_says_what_silence_means_and_offers_the_pdf(app):
    case_id = _terrace(app)
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    page = citizen.get(f"/demandes/{case_id}/recu").get_data(as_text=True)
    assert "Service chargé de votre demande" in page
    assert "12 rue des Tanneurs" in page and "02 54 00 10 40" in page
    assert "réputée rejetée" in page and "Voies et délais de recours" in page
    url = f"/mes-demandes/{case_id}/accuse-de-reception.pdf"
    assert url in page
    data = _pdf(citizen.get(url))
    assert facts(data)["lang"] == "fr"
    assert "réputée rejetée" in text_of(data)
    # nobody else reaches it
    other = app.test_client()
    sign_in(other, "b@example.org")
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 404


def test_the_certificate_appears_once_the_clock_ran_out(app):
    case_id = _terrace(app)
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    url = f"/mes-demandes/{case_id}/attestation-decision-implicite.pdf"
    assert citizen.get(url).status_code == 404  # no implicit decision yet
    assert url not in citizen.get(f"/mes-demandes/{case_id}").get_data(as_text=True)
    state = app.extensions["guichet"]
    state.clock.advance(dt.timedelta(days=61))
    Worker(state.runtime, state.sessions, RecordingConnector(), clock=state.clock).run_timers()
    citizen = app.test_client()  # two months later: signed in again
    sign_in(citizen, "a@example.org")
    page = citizen.get(f"/mes-demandes/{case_id}").get_data(as_text=True)
    assert url in page and "Attestation de décision implicite de rejet" in page
    text = text_of(_pdf(citizen.get(url)))
    assert "Une décision implicite de rejet est née le 2 mai 2026" in text
    other = app.test_client()
    sign_in(other, "b@example.org")
    assert other.get(url).status_code == 404


def test_the_arrete_is_listed_and_downloaded_by_the_citizen_and_the_agents(app):
    case_id = _terrace(app)
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        cases.fire(session, state.runtime, case, "prendre_en_charge", PUBLIC_DOMAIN, state.clock)
        cases.fire(
            session,
            state.runtime,
            case,
            "accorder",
            PUBLIC_DOMAIN,
            state.clock,
            values={"surface_accordee": 18},
        )
    with state.sessions() as session:
        (document,) = session.scalars(sa.select(Document).where(Document.case_id == case_id))
        document_id, name, content = document.id, document.name, document.content
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    url = f"/mes-demandes/{case_id}/documents/{document_id}"
    page = citizen.get(f"/mes-demandes/{case_id}").get_data(as_text=True)
    assert url in page and name in page
    assert _pdf(citizen.get(url)) == content
    assert "18 m²" in text_of(content)
    agent = app.test_client()
    sign_in(agent, "dp@example.org")
    staff_url = f"/agents/dossiers/{case_id}/documents/{document_id}"
    assert staff_url in agent.get(f"/agents/dossiers/{case_id}").get_data(as_text=True)
    assert _pdf(agent.get(staff_url)) == content
    other_agent = app.test_client()
    sign_in(other_agent, "ec@example.org")  # another department
    assert other_agent.get(staff_url).status_code == 404
    other = app.test_client()
    sign_in(other, "b@example.org")
    assert other.get(url).status_code == 404
    assert citizen.get(f"/mes-demandes/{case_id}/documents/unknown").status_code == 404
