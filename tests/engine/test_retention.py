"""Retention: closed cases are anonymised once their retention has passed since closing,
with their files; statistics, the history's events and the audit trail stay; a legal hold
keeps a case as it is. Simulated time, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from engine import cases, exchanges, retention, texts
from engine.attachments import FileChanges, add_attachment
from engine.errors import Refused
from engine.models import (
    Account,
    Attachment,
    AuditEvent,
    Case,
    CaseEvent,
    Document,
    Message,
    Notification,
    OutboxMessage,
)
from engine.storage import LocalStorage
from engine.worker import Worker
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, RecordingConnector

AGENT = Actor("agent", None, frozenset({"etat-civil"}))
DAY = dt.timedelta(days=1)
#: acte-naissance keeps its closed cases for 365 days
RETENTION = 365


def closed_case(sessions, runtime, published, clock, storage, *, close=True) -> int:
    """A birth-certificate request of a citizen with an account, a file, a message both ways,
    delivered (closed) now unless ``close`` is false."""
    with sessions() as session, session.begin():
        citizen = Account(email="lea.martin@example.org", name="Léa Martin")
        session.add(citizen)
        session.flush()
        actor = Actor("citizen", citizen.id)
        case = cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            dict(BIRTH_ANSWERS),
            actor,
            clock,
            owner_id=citizen.id,
        )
        changes = FileChanges(storage)
        add_attachment(
            session,
            changes,
            case,
            "piece_identite",
            io.BytesIO(b"%PDF-1.7 identity card"),
            "carte.pdf",
            "application/pdf",
            clock.now(),
        )
        exchanges.post_message(session, runtime, case, actor, clock, "Mon acte est urgent.")
        exchanges.post_message(session, runtime, case, AGENT, clock, "Bien reçu, Mme Martin.")
        if close:
            cases.fire(session, runtime, case, "delivrer", AGENT, clock)
        session.flush()
        changes.commit(session)
        return case.id


@pytest.fixture
def storage(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    return LocalStorage(folder)


def test_a_closed_case_is_kept_until_its_retention_has_passed(
    sessions, runtime, published, clock, storage
):
    case_id = closed_case(sessions, runtime, published, clock, storage)
    clock.advance(RETENTION * DAY - dt.timedelta(minutes=1))
    with sessions() as session, session.begin():
        assert retention.due(session, runtime, clock) == ([], 0)
        assert retention.purge(session, runtime, clock).cases == []
    clock.advance(dt.timedelta(minutes=1))
    with sessions() as session:
        found, held = retention.due(session, runtime, clock)
    assert [d.case_id for d in found] == [case_id] and held == 0
    assert found[0].retention_days == RETENTION


def test_the_purge_anonymises_and_keeps_what_statistics_need(
    sessions, runtime, published, clock, storage
):
    case_id = closed_case(sessions, runtime, published, clock, storage)
    with sessions() as session:
        before = session.get(Case, case_id)
        state, closed_at, reference = before.state, before.closed_at, before.reference
        events = session.scalars(
            sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        (file_id,) = session.scalars(sa.select(Attachment.id)).all()
    with sessions() as session, session.begin():  # a PDF the workflow wrote (an arrêté)
        session.add(Document(
            id="d-1", case_id=case_id, template="arrete", name="Arrêté", filename="arrete.pdf",
            size=4, sha256="0" * 64, content=b"%PDF", audience="citizen",
        ))
    assert storage.exists(file_id)
    clock.advance(RETENTION * DAY + DAY)
    with sessions() as session, session.begin():
        purged = retention.purge(session, runtime, clock)
    assert [d.case_id for d in purged.cases] == [case_id] and purged.attachments == [file_id]
    assert storage.exists(file_id)  # the caller removes the bytes once committed
    with sessions() as session:
        case = session.get(Case, case_id)
        # what says who filed and what they wrote is gone
        assert set(case.answers) == {"lien", "type_acte", "usage"}  # choice answers only
        assert "Martin" not in repr(case.answers)
        assert case.owner_id is None and case.tracking_token is None
        assert case.organisation_name is None and case.filer_email is None
        assert case.anonymised_at == clock.now()
        assert session.scalars(sa.select(Attachment)).all() == []
        assert session.scalars(sa.select(Document)).all() == []  # generated documents too
        bodies = session.scalars(sa.select(Message.body).where(Message.case_id == case_id)).all()
        assert len(bodies) == 2 and not any("Martin" in b or "urgent" in b for b in bodies)
        assert bodies == [texts.redacted("fr")] * 2  # in the site's language
        assert bodies[0].startswith("Supprimé")
        assert (
            session.scalars(sa.select(Notification).where(Notification.case_id == case_id)).all()
            == []
        )
        assert all(
            m.payload == {}
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
        )
        # what statistics and the audit trail need stays
        assert (case.state, case.closed_at, case.reference) == (state, closed_at, reference)
        assert (
            session.scalars(
                sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            ).all()
            == events
        )
        assert all(
            v == {}
            for v in session.scalars(
                sa.select(CaseEvent.values).where(CaseEvent.case_id == case_id)
            )
        )
        (line,) = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == retention.PURGED)
        ).all()
        assert line.detail["cases"] == [
            {"id": case_id, "procedure": "acte-naissance", "reference": reference}
        ]
        assert line.detail["attachments"] == 1
    # a second run finds nothing more to do, and logs nothing
    with sessions() as session, session.begin():
        assert retention.purge(session, runtime, clock).cases == []
    with sessions() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == retention.PURGED)
            )
            == 1
        )


def test_open_cases_are_never_purged(sessions, runtime, published, clock, storage):
    closed_case(sessions, runtime, published, clock, storage, close=False)
    clock.advance(10 * RETENTION * DAY)
    with sessions() as session, session.begin():
        assert retention.purge(session, runtime, clock).cases == []
        assert session.scalars(sa.select(Case.anonymised_at)).all() == [None]


def test_a_legal_hold_keeps_a_case_until_it_is_lifted(sessions, runtime, published, clock, storage):
    case_id = closed_case(sessions, runtime, published, clock, storage)
    with sessions() as session, session.begin():
        supervisor = Account(email="chef@valbois.example", kind="supervisor")
        session.add(supervisor)
        session.flush()
        supervisor_id = supervisor.id
        case = session.get(Case, case_id)
        with pytest.raises(Refused):
            retention.set_hold(session, case, "   ", supervisor_id, clock.now())
        retention.set_hold(
            session, case, "Recours contentieux  en cours", supervisor_id, clock.now()
        )
        with pytest.raises(Refused):
            retention.set_hold(session, case, "again", supervisor_id, clock.now())
    clock.advance(2 * RETENTION * DAY)
    with sessions() as session, session.begin():
        purged = retention.purge(session, runtime, clock)
        assert purged.cases == [] and purged.held == 1
        case = session.get(Case, case_id)
        assert case.anonymised_at is None and case.answers["nom"] == "Martin"
        assert case.legal_hold_reason == "Recours contentieux en cours"
        with pytest.raises(Refused):
            retention.lift_hold(session, case, "", supervisor_id, clock.now())
        retention.lift_hold(session, case, "Jugement rendu", supervisor_id, clock.now())
    with sessions() as session, session.begin():
        assert [d.case_id for d in retention.purge(session, runtime, clock).cases] == [case_id]
    with sessions() as session:
        lines = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
        ).all()
        holds = [(e.action, e.account_id, e.detail["reason"]) for e in lines]
        assert holds == [
            (retention.HOLD_SET, supervisor_id, "Recours contentieux en cours"),
            (retention.HOLD_LIFTED, supervisor_id, "Jugement rendu"),
        ]
        assert lines[1].detail["hold_reason"] == "Recours contentieux en cours"
        with pytest.raises(Refused):
            retention.set_hold(session, session.get(Case, case_id), "x", supervisor_id, clock.now())


def test_the_worker_anonymises_and_removes_the_files(sessions, runtime, published, clock, storage):
    case_id = closed_case(sessions, runtime, published, clock, storage)
    worker = Worker(runtime, sessions, RecordingConnector(), clock=clock, uploads=storage)
    worker.run_once()
    with sessions() as session:
        assert session.get(Case, case_id).anonymised_at is None
        (file_id,) = session.scalars(sa.select(Attachment.id)).all()
    clock.advance(RETENTION * DAY + DAY)
    assert worker.anonymise_expired() == 1
    assert not storage.exists(file_id)
    with sessions() as session:
        assert session.get(Case, case_id).anonymised_at == clock.now()
    assert worker.anonymise_expired() == 0  # not before purge_every


def test_a_worker_told_not_to_keeps_closed_cases(sessions, runtime, published, clock, storage):
    closed_case(sessions, runtime, published, clock, storage)
    clock.advance(2 * RETENTION * DAY)
    worker = Worker(
        runtime,
        sessions,
        RecordingConnector(),
        clock=clock,
        uploads=storage,
        anonymise_closed=False,
    )
    assert worker.anonymise_expired() == 0
    with sessions() as session:
        assert session.scalars(sa.select(Case.anonymised_at)).all() == [None]
