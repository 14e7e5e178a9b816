"""A workflow's notification whose text breaks the sandbox's bounds at run time, on the
case's own answers, is not sent; the failure is on the case's audit log and the case goes on."""

from __future__ import annotations

import sqlalchemy as sa

from engine import cases
from engine.catalogue import publish
from engine.models import AuditEvent, Case, Notification, OutboxMessage
from engine.notifications import NOTIFICATION_FAILED
from engine.workflow import Actor

from ..conftest import EXAMPLES
from ..engine_helpers import BIRTH_ANSWERS

CITIZEN = Actor("citizen")
SENTENCE = "Le service de l'état civil traite votre demande"


def _publish(sessions, runtime, clock, sentence: str):
    source = (EXAMPLES / "acte-naissance.yaml").read_text("utf-8")
    assert SENTENCE in source
    source = source.replace(SENTENCE, sentence)
    with sessions() as session, session.begin():
        return publish(session, runtime, source, clock=clock, name="acte-naissance.yaml")


def _submit(sessions, runtime, version, clock) -> int:
    with sessions() as session, session.begin():
        case = cases.new_draft(session, runtime, version, CITIZEN, clock)
        case.answers = dict(BIRTH_ANSWERS)
        session.flush()
        cases.submit(session, runtime, case, CITIZEN, clock, receipt=True)
        return case.id


def test_a_text_too_large_at_run_time_is_recorded_and_the_submission_kept(
    sessions, runtime, clock
):
    # the checker cannot know how long the answer will be: 6 letters × 20,000 is too long
    version = _publish(sessions, runtime, clock, "{{ nom * 20000 }} :")
    case_id = _submit(sessions, runtime, version, clock)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.reference and case.state == "recue" and case.submitted_at is not None
        subjects = session.scalars(
            sa.select(Notification.subject).where(Notification.case_id == case_id)
        ).all()
        assert not any("enregistrée" in subject for subject in subjects)
        assert any(subject.startswith("Accusé de réception") for subject in subjects)
        mails = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        ).all()
        assert not any("enregistrée" in m.payload.get("subject", "") for m in mails)
        [failure] = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.case_id == case_id, AuditEvent.action == NOTIFICATION_FAILED
            )
        ).all()
    assert failure.detail["target"] == "citizen" and failure.detail["state"] == "recue"
    assert failure.detail["reason"].startswith("SecurityError: ")
    assert "120,000" in failure.detail["reason"]


def test_a_text_that_renders_is_sent_and_nothing_is_recorded(sessions, runtime, clock):
    version = _publish(sessions, runtime, clock, "{{ nom * 2 }} :")
    case_id = _submit(sessions, runtime, version, clock)
    with sessions() as session:
        # the first state's message to the citizen is part of the receipt
        [body] = session.scalars(
            sa.select(Notification.body).where(
                Notification.case_id == case_id, Notification.subject.contains("Accusé")
            )
        ).all()
        failures = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == NOTIFICATION_FAILED)
        ).all()
    assert "MartinMartin : d'acte de naissance" in body
    assert failures == []
