"""Submitting and moving cases through their workflow, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import cases
from engine.errors import Conflict, InvalidValues, Refused
from engine.models import Case, CaseEvent, Notification, OutboxMessage, Timer
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS

ANSWERS = BIRTH_ANSWERS
CITIZEN = Actor("citizen")
AGENT = Actor("agent", None, frozenset({"etat-civil"}))


def submit(sessions, runtime, published, clock, answers=ANSWERS, key=None):
    with sessions() as session, session.begin():
        case = cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            dict(answers),
            CITIZEN,
            clock,
            idempotency_key=key,
        )
        return case.id


def test_submission_gives_a_reference_and_enters_the_initial_state(
    sessions, runtime, published, clock
):
    first = submit(sessions, runtime, published, clock)
    second = submit(sessions, runtime, published, clock)
    with sessions() as session:
        one, two = session.get(Case, first), session.get(Case, second)
        assert one.reference == "AN-2026-000001"
        assert two.reference == "AN-2026-000002"
        assert one.state == "recue" and one.department == "etat-civil"
        assert one.submitted_at == clock.now()
        events = session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == first)).all()
        assert [(e.kind, e.to_state) for e in events] == [("submitted", "recue")]
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.case_id == first)
            )
            >= 1
        )


def test_invalid_answers_create_nothing(sessions, runtime, published, clock):
    with sessions() as session, session.begin(), pytest.raises(InvalidValues) as refused:
        cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            {**ANSWERS, "courriel": "nope"},
            CITIZEN,
            clock,
        )
    assert [e.field for e in refused.value.errors] == ["courriel"]
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_replayed_submission_makes_one_case(sessions, runtime, published, clock):
    first = submit(sessions, runtime, published, clock, key="form-123")
    again = submit(sessions, runtime, published, clock, key="form-123")
    assert first == again
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_refusals_say_which_check_failed(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        with pytest.raises(Refused) as refused:
            cases.fire(session, runtime, case, "apporter_precisions", AGENT, clock)
        assert refused.value.reason == "state"
        with pytest.raises(Refused) as refused:
            cases.fire(session, runtime, case, "delivrer", CITIZEN, clock)
        assert refused.value.reason == "actor"
        other = Actor("agent", None, frozenset({"voirie"}))
        with pytest.raises(Refused) as refused:
            cases.fire(session, runtime, case, "delivrer", other, clock)
        assert refused.value.reason == "actor"


def test_guard_refuses(sessions, runtime, published, clock):
    case_id = submit(
        sessions,
        runtime,
        published,
        clock,
        {**ANSWERS, "lien": "tiers", "nom_titulaire": "Martin", "prenoms_titulaire": "Paul"},
    )
    with sessions() as session, session.begin():
        with pytest.raises(Refused) as refused:
            cases.fire(session, runtime, session.get(Case, case_id), "delivrer", AGENT, clock)
        assert refused.value.reason == "guard"


def test_firing_writes_history_and_outbox(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        cases.fire(session, runtime, case, "delivrer", AGENT, clock)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.state == "delivree" and case.closed_at == clock.now()
        transition = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
        ).one()
        assert (transition.from_state, transition.to_state, transition.actor_kind) == (
            "recue",
            "delivree",
            "agent",
        )
        sends = session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.case_id == case_id, OutboxMessage.kind == "send"
            )
        ).all()
        assert [m.connector for m in sends] == ["logiciel-etat-civil"]
        event = sends[0].payload
        assert event["id"] == sends[0].event_id
        assert event["data"]["reference"] == case.reference
        assert event["data"]["answers"]["nom"] == "Martin"


def test_transition_form_is_validated_and_stored(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        with pytest.raises(InvalidValues) as invalid:
            cases.fire(session, runtime, case, "demander_precisions", AGENT, clock, values={})
        assert invalid.value.reason == "form"
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        form = published["acte-naissance"]
        compiled = runtime.catalogue.compiled(session, form.id)
        transition = compiled.procedure.workflow.transition("demander_precisions")
        values = {f.id: "Merci de préciser." for f in transition.form if f.type == "textarea"}
        cases.fire(session, runtime, case, "demander_precisions", AGENT, clock, values=values)
    with sessions() as session:
        event = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
        ).one()
        assert event.values == values


def test_stale_version_is_a_conflict(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    with sessions() as session:
        seen = session.get(Case, case_id).lock_version
    with sessions() as session, session.begin():
        cases.fire(
            session,
            runtime,
            session.get(Case, case_id),
            "delivrer",
            AGENT,
            clock,
            expected_version=seen,
        )
    with sessions() as session, session.begin(), pytest.raises(Conflict):
        cases.fire(
            session,
            runtime,
            session.get(Case, case_id),
            "refuser",
            AGENT,
            clock,
            expected_version=seen,
            values={},
        )


def test_concurrent_sessions_one_wins(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    first, second = sessions(), sessions()
    try:
        a = first.get(Case, case_id)
        first.commit()  # release SQLite's write lock taken by BEGIN IMMEDIATE
        b = second.get(Case, case_id)
        second.commit()
        cases.fire(first, runtime, a, "delivrer", AGENT, clock)
        first.commit()
        with pytest.raises(Conflict):
            cases.fire(second, runtime, b, "delivrer", AGENT, clock)
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(CaseEvent)
                .where(CaseEvent.kind == "transition")
            )
            == 1
        )


def test_deadline_timer_is_stored_and_cancelled(sessions, runtime, published, clock):
    case_id = submit(sessions, runtime, published, clock)
    with sessions() as session, session.begin():
        cases.fire(
            session,
            runtime,
            session.get(Case, case_id),
            "demander_precisions",
            AGENT,
            clock,
            values={"message": "Précisez."},
        )
    with sessions() as session:
        (timer,) = session.scalars(sa.select(Timer).where(Timer.kind == "fire")).all()
        assert timer.state == "attente_usager" and timer.transition == "classer_sans_reponse"
        # 30 days later at the same time in Paris: summer time began in between
        assert timer.due_at == dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.UTC)
    with sessions() as session, session.begin():
        cases.fire(
            session,
            runtime,
            session.get(Case, case_id),
            "apporter_precisions",
            Actor("citizen", tracking_token=session.get(Case, case_id).tracking_token),
            clock,
            values={"reponse": "Voici."},
        )
    with sessions() as session:
        assert session.get(Timer, timer.id).status == "cancelled"


def test_a_submission_key_never_hands_over_another_request(sessions, runtime, published, clock):
    first = submit(sessions, runtime, published, clock, key="double-clic")
    with sessions() as session, session.begin():
        draft = cases.new_draft(session, runtime, published["acte-naissance"], CITIZEN, clock)
        draft.answers = dict(ANSWERS)
        session.flush()
        with pytest.raises(Refused):
            cases.submit(session, runtime, draft, CITIZEN, clock, idempotency_key="double-clic")
        assert draft.is_draft and draft.reference is None
    # the key still replays its own submission
    assert submit(sessions, runtime, published, clock, key="double-clic") == first
