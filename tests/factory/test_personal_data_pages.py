"""Personal data on the web: the personal-data page says what is kept and for how long; a
citizen reads and downloads their data and deletes their account; a supervisor holds a
case; agents export a person's data for an access request, audit-logged."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from engine.models import Account, AuditEvent, Case

from .portal_helpers import BACK_OFFICE, PASSWORD, csrf, sign_in


@pytest.fixture
def people():
    return {**BACK_OFFICE, "chef@example.org": ("supervisor", ("etat-civil",))}


def test_the_personal_data_page_gives_each_procedure_its_retention(app):
    page = app.test_client().get("/donnees-personnelles").get_data(as_text=True)
    assert "Nothing is deleted" not in page and "Rien n" not in page
    assert "Demande d’acte de naissance" in page or "acte de naissance" in page
    assert "365 jours" in page  # acte-naissance keeps closed requests 365 days
    assert "anonymis" in page
    assert "30 jours" in page  # abandoned anonymous drafts


def test_a_citizen_reads_downloads_their_data(app, filed):
    citizen, case_id = filed
    page = citizen.get("/mes-donnees")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    with app.extensions["guichet"].sessions() as session:
        reference = session.get(Case, case_id).reference
    assert reference in html and "a@example.org" in html
    download = citizen.get("/mes-donnees.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(download.get_data())
    assert data["account"]["email"] == "a@example.org"
    assert [r["reference"] for r in data["requests"]] == [reference]


def test_deleting_an_account_asks_for_the_password(app, filed):
    citizen, case_id = filed
    url = "/mon-compte/supprimer"
    page = citizen.get(url).get_data(as_text=True)
    assert "anonymis" in page  # what happens to the requests is said
    wrong = citizen.post(
        url, data={"csrf_token": csrf(citizen, url), "password": "pas le bon", "confirm": "yes"}
    )
    assert wrong.status_code == 422
    unconfirmed = citizen.post(url, data={"csrf_token": csrf(citizen, url), "password": PASSWORD})
    assert unconfirmed.status_code == 422
    done = citizen.post(
        url, data={"csrf_token": csrf(citizen, url), "password": PASSWORD, "confirm": "yes"}
    )
    assert done.status_code == 302
    assert citizen.get("/mes-donnees").status_code == 302  # signed out
    with app.extensions["guichet"].sessions() as session:
        assert (
            session.scalars(sa.select(Account).where(Account.email == "a@example.org")).all() == []
        )
        case = session.get(Case, case_id)
        assert case.owner_id is None and not case.is_draft
        assert session.scalars(sa.select(AuditEvent.action)).all()[-1] == "account_deleted"


def test_a_supervisor_holds_a_case_and_an_agent_may_not(app, filed):
    _citizen, case_id = filed
    agent, chef = app.test_client(), app.test_client()
    sign_in(agent, "ec@example.org")
    sign_in(chef, "chef@example.org")
    page = f"/agents/dossiers/{case_id}"
    url = page + "/conservation"
    refused = agent.post(url, data={"csrf_token": csrf(agent, page), "reason": "Non."})
    assert refused.status_code == 403
    assert "Put under a legal hold" not in agent.get(page).get_data(as_text=True)
    assert "Mettre sous conservation" not in agent.get(page).get_data(as_text=True)
    empty = chef.post(url, data={"csrf_token": csrf(chef, page), "reason": "  "})
    assert empty.status_code == 302
    done = chef.post(url, data={"csrf_token": csrf(chef, page), "reason": "Recours au tribunal."})
    assert done.status_code == 302
    assert "Recours au tribunal." in chef.get(page).get_data(as_text=True)
    lifted = chef.post(
        url + "/levee", data={"csrf_token": csrf(chef, page), "reason": "Jugement rendu."}
    )
    assert lifted.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        case = session.get(Case, case_id)
        assert case.legal_hold_at is None
        actions = session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("legal_hold%"))
        ).all()
    assert actions == ["legal_hold_set", "legal_hold_lifted"]


def test_agents_export_a_persons_data_for_their_departments(app, filed):
    _citizen, case_id = filed
    agent, other = app.test_client(), app.test_client()
    sign_in(agent, "ec@example.org")
    sign_in(other, "voirie@example.org")
    url = "/agents/donnees-personnelles"
    bad = agent.post(url, data={"csrf_token": csrf(agent, url), "email": "personne"})
    assert bad.status_code == 422
    page = agent.post(url, data={"csrf_token": csrf(agent, url), "email": "A@example.org"})
    assert page.status_code == 200
    with app.extensions["guichet"].sessions() as session:
        reference = session.get(Case, case_id).reference
    assert reference in page.get_data(as_text=True)
    download = agent.post(
        url, data={"csrf_token": csrf(agent, url), "email": "a@example.org", "format": "json"}
    )
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert [r["reference"] for r in json.loads(download.get_data())["requests"]] == [reference]
    elsewhere = other.post(
        url, data={"csrf_token": csrf(other, url), "email": "a@example.org", "format": "json"}
    )
    assert json.loads(elsewhere.get_data())["requests"] == []
    with app.extensions["guichet"].sessions() as session:
        lines = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "personal_data_export")
        ).all()
    assert len(lines) == 3 and lines[0].detail["requests"] == [reference]
