"""What Guichet holds about a person, exported; a citizen's account deleted, its requests
then following their retention. Simulated time, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from engine import cases, exchanges, personal_data, retention
from engine.errors import Refused
from engine.models import (
    Account,
    AuditEvent,
    Case,
    CaseEvent,
    Document,
    ExternalIdentity,
    Message,
)
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, bike_answers

AGENT = Actor("agent", None, frozenset({"etat-civil"}))


def citizen_with_requests(sessions, runtime, published, clock) -> dict:
    """Léa's account with a FranceConnect identity, a submitted request with a message, a
    draft, and a request filed with her address without an account; someone else's too."""
    with sessions() as session, session.begin():
        lea = Account(
            email="lea.martin@example.org", name="Léa Martin", profile={"phone": "0612345678"}
        )
        other = Account(email="paul@example.org", name="Paul")
        session.add_all([lea, other])
        session.flush()
        session.add(
            ExternalIdentity(
                provider="franceconnect",
                sub="fc-1",
                account_id=lea.id,
                claims={"given_name": "Léa"},
            )
        )
        actor = Actor("citizen", lea.id)
        owned = cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            dict(BIRTH_ANSWERS),
            actor,
            clock,
            owner_id=lea.id,
        )
        exchanges.post_message(session, runtime, owned, actor, clock, "Mon acte est urgent.")
        draft = cases.new_draft(
            session, runtime, published["acte-naissance"], actor, clock, owner_id=lea.id
        )
        anonymous = cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            dict(BIRTH_ANSWERS),
            Actor("citizen"),
            clock,
        )
        theirs = cases.submit_answers(
            session,
            runtime,
            published["aide-velo-electrique"],
            bike_answers(clock.now().date()),
            Actor("citizen", other.id),
            clock,
            owner_id=other.id,
        )
        return {
            "lea": lea.id,
            "owned": owned.reference,
            "draft": draft.id,
            "anonymous": anonymous.reference,
            "theirs": theirs.reference,
            "owned_id": owned.id,
        }


def test_the_export_holds_the_account_and_every_request_of_the_person(
    sessions, runtime, published, clock
):
    ids = citizen_with_requests(sessions, runtime, published, clock)
    with sessions() as session, session.begin():  # a PDF the workflow wrote for her
        owned_id = session.scalar(sa.select(Case.id).where(Case.reference == ids["owned"]))
        session.add(Document(
            id="d-1", case_id=owned_id, template="arrete", name="Arrêté", filename="arrete.pdf",
            size=4, sha256="0" * 64, content=b"%PDF", audience="citizen",
        ))
    with sessions() as session:
        lea = session.get(Account, ids["lea"])
        data = personal_data.export(session, runtime, clock, account=lea)
    json.dumps(data)  # plain JSON values
    assert data["account"]["email"] == "lea.martin@example.org"
    assert data["account"]["profile"] == {"phone": "0612345678"}
    assert data["account"]["identities"][0]["claims"] == {"given_name": "Léa"}
    references = [r["reference"] for r in data["requests"]]
    assert ids["owned"] in references and ids["anonymous"] in references
    assert ids["theirs"] not in references
    assert any(r["draft"] for r in data["requests"])  # drafts are held too
    owned = next(r for r in data["requests"] if r["reference"] == ids["owned"])
    assert owned["answers"]["nom"] == "Martin"
    assert owned["messages"] == [
        {"at": clock.now().isoformat(), "from": "citizen", "body": "Mon acte est urgent."}
    ]
    assert owned["history"][0]["event"] == "submitted"
    assert owned["retention_days"] == 365
    assert [(d["filename"], d["sha256"]) for d in owned["documents"]] == [
        ("arrete.pdf", "0" * 64)
    ]
    assert data["notifications"]  # the receipt's notification in the personal space


def test_staff_export_by_email_keeps_to_their_departments(sessions, runtime, published, clock):
    ids = citizen_with_requests(sessions, runtime, published, clock)
    with sessions() as session:
        mine = personal_data.export(
            session, runtime, clock, email=" LEA.martin@example.org ", departments={"etat-civil"}
        )
        elsewhere = personal_data.export(
            session, runtime, clock, email="lea.martin@example.org", departments={"voirie"}
        )
        nobody = personal_data.export(session, runtime, clock, email="nobody@example.org")
    assert mine["account"]["name"] == "Léa Martin"
    assert {r["reference"] for r in mine["requests"]} == {ids["owned"], ids["anonymous"]}
    assert not any(r["draft"] for r in mine["requests"])  # staff never see drafts
    assert elsewhere["requests"] == [] and elsewhere["notifications"] == []
    # no request of theirs: the account's details are withheld from these agents
    assert elsewhere["account"] is None and elsewhere["account_withheld"] is True
    assert mine["account_withheld"] is False
    assert nobody["account"] is None and nobody["requests"] == []


def test_a_deleted_account_leaves_its_requests_to_their_retention(
    sessions, runtime, published, clock
):
    ids = citizen_with_requests(sessions, runtime, published, clock)
    with sessions() as session, session.begin():
        staff = Account(email="chef@example.org", kind="supervisor")
        session.add(staff)
        session.flush()
        with pytest.raises(Refused):
            personal_data.delete_account(session, staff, clock)
        done = personal_data.delete_account(session, session.get(Account, ids["lea"]), clock)
    assert done["drafts"] == 1 and done["requests"] == 1
    with sessions() as session:
        assert session.get(Account, ids["lea"]) is None
        assert session.get(Case, ids["draft"]) is None
        case = session.get(Case, ids["owned_id"])
        assert case.owner_id is None and case.answers["nom"] == "Martin"
        assert session.scalars(sa.select(ExternalIdentity)).all() == []
        assert session.scalars(
            sa.select(Message.author_id).where(Message.case_id == case.id)
        ).all() == [None]
        assert (
            None
            in session.scalars(
                sa.select(CaseEvent.actor_id).where(CaseEvent.case_id == case.id)
            ).all()
        )
        (line,) = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == personal_data.ACCOUNT_DELETED)
        ).all()
        assert line.detail == {"account": ids["lea"], "drafts": 1, "requests": 1}
        case_id = case.id
    # the request goes on, is closed, and is anonymised at the end of its retention
    with sessions() as session, session.begin():
        cases.fire(session, runtime, session.get(Case, case_id), "delivrer", AGENT, clock)
    clock.advance(dt.timedelta(days=366))
    with sessions() as session, session.begin():
        purged = retention.purge(session, runtime, clock)
    assert case_id in [d.case_id for d in purged.cases]
