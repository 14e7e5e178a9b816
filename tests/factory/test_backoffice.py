"""The back office: agents see and act on the cases of their departments only."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from definitions.scenarios import resolve_dates
from engine.models import AuditEvent, Case, CaseEvent, InternalNote

from .portal_helpers import BACK_OFFICE, csrf, fill, sign_in, start, submit


@pytest.fixture
def people():
    return BACK_OFFICE


def test_agents_see_their_departments_cases_only(app, filed):
    _, case_id = filed
    agent, other_agent = app.test_client(), app.test_client()
    sign_in(agent, "ec@example.org")
    sign_in(other_agent, "voirie@example.org")
    with app.extensions["guichet"].sessions() as session:
        reference = session.get(Case, case_id).reference
    assert reference in agent.get("/agents/").get_data(as_text=True)
    assert reference not in other_agent.get("/agents/").get_data(as_text=True)
    assert agent.get(f"/agents/dossiers/{case_id}").status_code == 200
    assert other_agent.get(f"/agents/dossiers/{case_id}").status_code == 404
    assert other_agent.get(f"/agents/dossiers/{case_id}/transitions/delivrer").status_code == 404
    with app.extensions["guichet"].sessions() as session:
        reads = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "read")).all()
        assert [(r.case_id, r.action) for r in reads] == [(case_id, "read")]


def test_citizens_and_visitors_never_reach_the_back_office(app, filed):
    citizen, case_id = filed
    assert citizen.get("/agents/").status_code == 404
    assert citizen.get(f"/agents/dossiers/{case_id}").status_code == 404
    visitor = app.test_client().get("/agents/")
    assert visitor.status_code == 302 and "/connexion" in visitor.headers["Location"]


def test_an_agent_fires_a_transition_with_its_form(app, filed):
    citizen, case_id = filed
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    url = f"/agents/dossiers/{case_id}/transitions/demander_precisions"
    empty = agent.post(url, data={"csrf_token": csrf(agent, url)})
    assert empty.status_code == 422
    done = agent.post(
        url, data={"csrf_token": csrf(agent, url), "message": "Merci de préciser la date."}
    )
    assert done.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        assert session.get(Case, case_id).state == "attente_usager"
        event = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
        ).one()
        assert event.values == {"message": "Merci de préciser la date."}
    # the citizen is asked, on their page
    page = citizen.get(f"/mes-demandes/{case_id}").get_data(as_text=True)
    assert "Merci de préciser la date." in page


def test_a_stale_form_is_a_conflict(app, filed):
    _, case_id = filed
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ec@example.org")
    sign_in(second, "ec@example.org")
    url = f"/agents/dossiers/{case_id}/transitions/delivrer"
    token_one, token_two = csrf(first, url), csrf(second, url)
    with app.extensions["guichet"].sessions() as session:
        version = session.get(Case, case_id).lock_version
    assert first.post(url, data={"csrf_token": token_one, "version": version}).status_code == 302
    stale = second.post(
        f"/agents/dossiers/{case_id}/transitions/refuser",
        data={"csrf_token": token_two, "version": version, "motif_refus": "Pièce illisible."},
    )
    # the form was opened before the first decision: the second agent is told, not obeyed
    assert stale.status_code == 303
    with app.extensions["guichet"].sessions() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
            )
            == 1
        )


def test_internal_notes_stay_internal(app, filed):
    citizen, case_id = filed
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    page = f"/agents/dossiers/{case_id}"
    agent.post(
        f"{page}/note",
        data={"csrf_token": csrf(agent, page), "body": "Appeler la mairie de naissance."},
    )
    agent.post(
        f"{page}/message", data={"csrf_token": csrf(agent, page), "body": "Votre acte part demain."}
    )
    with app.extensions["guichet"].sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(InternalNote)) == 1
    seen = citizen.get(f"/mes-demandes/{case_id}").get_data(as_text=True)
    assert "Votre acte part demain." in seen
    assert "Appeler la mairie de naissance." not in seen
    assert "Appeler la mairie de naissance." in agent.get(page).get_data(as_text=True)


def test_an_agent_files_on_behalf_of_a_citizen(app, examples):
    procedure, suite = examples["acte-naissance"]
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    refused = agent.post(
        "/agents/depot",
        data={
            "csrf_token": csrf(agent, "/agents/depot"),
            "procedure": "acte-naissance",
            "channel": "online",
        },
    )
    assert refused.status_code == 422
    started = agent.post(
        "/agents/depot",
        data={
            "csrf_token": csrf(agent, "/agents/depot"),
            "procedure": "acte-naissance",
            "channel": "counter",
            "email": "a@example.org",
        },
    )
    assert started.status_code == 302
    case_id = int(started.headers["Location"].split("/")[2])
    fill(
        agent, procedure, case_id, resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    )
    assert submit(agent, case_id).status_code == 302
    with app.extensions["guichet"].sessions() as session:
        case = session.get(Case, case_id)
        assert case.channel == "counter" and case.reference
        submitted = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "submitted")
        ).one()
        assert submitted.actor_kind == "agent"
    # the citizen finds it in their space; another agent's browser cannot fill such drafts
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    assert case.reference in citizen.get("/mes-demandes").get_data(as_text=True)


def test_bulk_action_checks_each_case_on_its_own(app, examples):
    procedure, suite = examples["acte-naissance"]
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    ids = []
    for scenario in (1, 1, 2):
        case_id = start(citizen, "acte-naissance")
        fill(
            citizen,
            procedure,
            case_id,
            resolve_dates(dict(suite.scenarios[scenario].answers), dt.date.today()),
        )
        assert submit(citizen, case_id, key=f"bulk-{case_id}").status_code == 302
        ids.append(case_id)
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    # the first case is already decided: delivering it again is refused by its state
    url = f"/agents/dossiers/{ids[0]}/transitions/delivrer"
    assert agent.post(url, data={"csrf_token": csrf(agent, url)}).status_code == 302
    response = agent.post(
        "/agents/lot",
        data={
            "csrf_token": csrf(agent, "/agents/depot"),
            "transition": "delivrer",
            "case": [str(i) for i in ids] + ["999999"],
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with app.extensions["guichet"].sessions() as session:
        states = [session.get(Case, i).state for i in ids]
        references = [session.get(Case, i).reference for i in ids]
    assert states[0] == "delivree" and states[1] == "delivree"
    assert references[0] in page and references[1] in page and "999999" in page
    # the third case (a third party) is refused by the guard, and says so
    assert states[2] == "recue"


def test_staff_sessions_end_when_idle(app, filed, monkeypatch):
    import time

    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    assert agent.get("/agents/").status_code == 200
    later = time.time() + app.config["STAFF_IDLE_TIMEOUT"].total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = agent.get("/agents/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_inbox_filters(app, filed, examples):
    _, case_id = filed
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    with app.extensions["guichet"].sessions() as session:
        reference = session.get(Case, case_id).reference
    assert reference in agent.get("/agents/?assigned=none").get_data(as_text=True)
    assert reference not in agent.get("/agents/?assigned=me").get_data(as_text=True)
    assert reference in agent.get(f"/agents/?q={reference}").get_data(as_text=True)
    assert reference not in agent.get("/agents/?q=ZZ-0000").get_data(as_text=True)
    assert reference in agent.get(f"/agents/?q={reference[:4].lower()}").get_data(as_text=True)
    assert reference in agent.get("/agents/?q=A@Example.org").get_data(as_text=True)
    assert reference not in agent.get("/agents/?q=b@example.org").get_data(as_text=True)
    assert reference not in agent.get("/agents/?q=%25").get_data(as_text=True)
    assert reference in agent.get("/agents/?state=recue").get_data(as_text=True)
    assert reference not in agent.get("/agents/?state=delivree").get_data(as_text=True)
    assert reference not in agent.get("/agents/?channel=phone").get_data(as_text=True)
    assert reference not in agent.get("/agents/?overdue=1").get_data(as_text=True)
    assert reference not in agent.get("/agents/?expiring=30").get_data(as_text=True)
