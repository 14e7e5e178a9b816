"""The back office's case page: a summary beside the answers, one timeline naming who acted,
what is unread until the agent opens the case, actions that say what they do, the citizen's
other requests, and values as people read them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from definitions.scenarios import resolve_dates
from engine import timeline
from engine.models import Account, Case
from engine.workflow import Actor

from .portal_helpers import BACK_OFFICE, csrf, sign_in

#: What a person must never read on the page: an ISO date, a float amount, an actor kind.
RAW = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\d+\.\d+\s*€"),
    re.compile(r"\b(un agent|an agent|le système|the system)\b"),
]


@pytest.fixture
def people():
    return {**BACK_OFFICE, "ec2@example.org": ("agent", ("etat-civil",))}


def rename(app, **names: str) -> dict[str, int]:
    """Give the test accounts people's names; their ids by e-mail."""
    ids = {}
    with app.extensions["guichet"].sessions() as session, session.begin():
        for email, name in names.items():
            account = session.scalars(sa.select(Account).where(Account.email == email)).one()
            account.name = name
            ids[email] = account.id
    return ids


def file_case(app, examples, slug: str, owner: str = "a@example.org", changes=None) -> int:
    """A case of ``slug`` filed with its tests file's answers, owned by ``owner``."""
    procedure, suite = examples[slug]
    state = app.extensions["guichet"]
    valid = next(s for s in suite.scenarios if not s.expect_errors)
    answers = resolve_dates({**valid.answers, **(changes or {})}, dt.date.today())
    with state.sessions() as session, session.begin():
        account = session.scalars(sa.select(Account).where(Account.email == owner)).one()
        version = state.runtime.catalogue.published(session)
        version = next(v for v in version if v.slug == slug)
        case = cases_submit(session, state, version, answers, account)
        return case.id


def cases_submit(session, state, version, answers, account):
    from engine import cases

    return cases.submit_answers(
        session,
        state.runtime,
        version,
        answers,
        Actor("citizen", account.id),
        state.clock,
        owner_id=account.id,
    )


def page_text(response) -> str:
    """The page's visible text, roughly: tags dropped, entities left as they are."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_timeline_names_who_acted_and_marks_what_is_unread(app, filed):
    citizen, case_id = filed
    ids = rename(
        app,
        **{
            "a@example.org": "Camille Martin",
            "ec@example.org": "Marie Durand",
            "ec2@example.org": "Paul Roux",
        },
    )
    agent, colleague = app.test_client(), app.test_client()
    sign_in(agent, "ec@example.org")
    sign_in(colleague, "ec2@example.org")
    page = f"/agents/dossiers/{case_id}"
    assert agent.get(page).status_code == 200
    agent.post(
        f"{page}/assign",
        data={"csrf_token": csrf(agent, page), "assignee": str(ids["ec@example.org"])},
    )
    agent.post(f"{page}/message", data={"csrf_token": csrf(agent, page), "body": "Bien reçu."})
    agent.post(f"{page}/note", data={"csrf_token": csrf(agent, page), "body": "Registre 1987."})
    own = f"/mes-demandes/{case_id}"
    citizen.post(f"{own}/message", data={"csrf_token": csrf(citizen, own), "body": "Merci !"})
    citizen.post(f"{own}/relance", data={"csrf_token": csrf(citizen, own), "comment": "Urgent"})

    state = app.extensions["guichet"]
    with state.sessions() as session:
        counts = timeline.unread_counts(session, ids["ec@example.org"], [case_id, 999_999])
    assert counts == {case_id: timeline.Unread(messages=1, reminders=1)}

    shown = page_text(agent.get(page))
    assert "Marie Durand, État civil" in shown
    assert "Assigned the request to Marie Durand" in shown or "Attribuée à Marie Durand" in shown
    assert "Camille Martin" in shown
    for pattern in RAW:
        assert not pattern.search(shown), pattern.pattern
    # the agent had not read the citizen's message and reminder: marked, once
    assert shown.count("Nouveau") == 2 and "2 nouveaux" in shown
    assert "Nouveau" not in page_text(agent.get(page))
    with state.sessions() as session:
        assert timeline.unread_counts(session, ids["ec@example.org"], [case_id]) == {}
        # a colleague who never opened the case has everything to read
        assert timeline.unread_counts(session, ids["ec2@example.org"], [case_id]) == {
            case_id: timeline.Unread(1, 1)
        }
    seen = page_text(colleague.get(page))
    assert seen.count("Nouveau ") >= 5  # filing, assignment, two messages, a note, a reminder


def test_the_summary_answers_and_actions(app, examples):
    case_id = file_case(app, examples, "inscription-periscolaire")
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    # the enfance department's case is not this agent's
    assert agent.get(f"/agents/dossiers/{case_id}").status_code == 404
    rename(app, **{"a@example.org": "Sarah Benali"})
    with app.extensions["guichet"].sessions() as session, session.begin():
        from engine.models import Membership

        account = session.scalars(sa.select(Account).where(Account.email == "ec@example.org")).one()
        session.add(Membership(account_id=account.id, department="enfance"))
    response = agent.get(f"/agents/dossiers/{case_id}")
    assert response.status_code == 200
    shown = page_text(response)
    assert "Enfance, éducation et périscolaire" in shown
    assert "Enfant 1" in shown and "Enfant 2" in shown
    assert "Vos enfants" in shown  # the page's title heads its answers
    assert "06 12 34 56 78" in shown
    assert "27 rue du Moulin <br> 41350 Valbois-sur-Loire" in re.sub(
        r"\s+", " ", response.get_data(as_text=True)
    ) or ("27 rue du Moulin" in shown and "41350 Valbois-sur-Loire" in shown)
    for pattern in RAW:
        assert not pattern.search(shown), pattern.pattern
    # an action says where it leads and what it asks
    assert "Demander des pièces" in shown or "demander" in shown.lower()
    html = response.get_data(as_text=True)
    assert 'class="case-layout"' in html and 'class="case-summary"' in html


def test_amounts_read_as_amounts(app, examples):
    case_id = file_case(app, examples, "subvention-association")
    state = app.extensions["guichet"]
    with state.sessions() as session:
        department = session.get(Case, case_id).department
    with state.sessions() as session, session.begin():
        from engine.models import Membership

        account = session.scalars(sa.select(Account).where(Account.email == "ec@example.org")).one()
        session.add(Membership(account_id=account.id, department=department))
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    response = agent.get(f"/agents/dossiers/{case_id}")
    html, shown = response.get_data(as_text=True), page_text(response)
    assert "1\u202f500\u00a0€" in html and "12\u202f400\u00a0€" in html
    for pattern in RAW:
        assert not pattern.search(shown), pattern.pattern


def test_the_citizen_reads_what_the_agent_asked(app, filed):
    citizen, case_id = filed
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    url = f"/agents/dossiers/{case_id}/transitions/demander_precisions"
    form = page_text(agent.get(url))
    assert "En attente de vos précisions" in form  # where the action leads
    assert "Message à l'usager" in form or "Message à l&#39;usager" in form
    asked = "Merci de joindre la copie du livret de famille."
    assert (
        agent.post(url, data={"csrf_token": csrf(agent, url), "message": asked}).status_code == 302
    )
    action = citizen.get(f"/mes-demandes/{case_id}/actions/apporter_precisions")
    assert action.status_code == 200
    assert asked in action.get_data(as_text=True)


def test_other_requests_name_their_department_and_state(app, filed, examples):
    _, case_id = filed
    other = file_case(app, examples, "inscription-periscolaire")
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    shown = page_text(agent.get(f"/agents/dossiers/{case_id}"))
    with app.extensions["guichet"].sessions() as session:
        reference = session.get(Case, other).reference
    assert reference in shown
    assert "Enfance, éducation et périscolaire" in shown
    assert "Reçue" in shown or "Déposée" in shown or "reçue" in shown.lower()
