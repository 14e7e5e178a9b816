"""Races on PostgreSQL (the scale-out database): conflicting decisions on one case, submissions
at the same instant, workers claiming the same outbox."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from engine import cases, outbox
from engine.catalogue import publish_folder
from engine.db import Base, make_engine, make_session_factory
from engine.errors import Conflict, Refused
from engine.models import Case, CaseEvent, Notification, OutboxMessage
from engine.worker import Worker
from engine.workflow import Actor

from ..conftest import EXAMPLES
from ..engine_helpers import (
    BIRTH_ANSWERS,
    RecordingConnector,
    drop_schema,
    schema_url_and_options,
    terrace_answers,
)

AGENT = Actor("agent", None, frozenset({"etat-civil"}))
CITIZEN = Actor("citizen")
SCHEMA = "engine_concurrency_test"


@pytest.fixture
def pg(runtime, clock):
    """PostgreSQL in a schema of its own, a pool big enough for 30 threads, the examples
    published: (sessions, {slug: version})."""
    url, options = schema_url_and_options(SCHEMA)
    engine = make_engine(url, pool_size=30, max_overflow=5, **options)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        versions = {v.slug: v for v in publish_folder(session, runtime, EXAMPLES, clock=clock)}
    yield sessions, versions
    engine.dispose()
    drop_schema(url, SCHEMA)


DECISIONS = [("delivrer", None), ("refuser", {"motif_refus": "Aucun acte à ce nom."})]


def test_conflicting_decisions_have_exactly_one_winner(pg, runtime, clock):
    """50 cases; on each, 20 agents decide at the same instant, half to deliver, half to
    refuse. One decision wins; the others are told the case changed."""
    sessions, published = pg
    with sessions() as session, session.begin():
        case_ids = [
            cases.submit_answers(
                session, runtime, published["acte-naissance"], dict(BIRTH_ANSWERS), CITIZEN, clock
            ).id
            for _ in range(50)
        ]

    def decide(case_id: int, number: int, barrier: threading.Barrier):
        transition, values = DECISIONS[number % 2]
        with sessions() as session:
            case = session.get(Case, case_id)
            barrier.wait()
            try:
                cases.fire(session, runtime, case, transition, AGENT, clock, values=values)
                session.commit()
            except (Conflict, Refused) as lost:
                session.rollback()
                return "lost", type(lost).__name__
            return "won", transition

    winners = {}
    with ThreadPoolExecutor(max_workers=20) as pool:
        for case_id in case_ids:
            barrier = threading.Barrier(20, timeout=60)
            outcomes = [
                f.result() for f in [pool.submit(decide, case_id, n, barrier) for n in range(20)]
            ]
            won = [what for outcome, what in outcomes if outcome == "won"]
            assert len(won) == 1, (case_id, outcomes)
            assert Counter(what for outcome, what in outcomes if outcome == "lost").keys() <= {
                "Conflict",
                "Refused",
            }
            winners[case_id] = won[0]

    assert set(winners.values()) <= {"delivrer", "refuser"}
    with sessions() as session:
        states = dict(session.execute(sa.select(Case.id, Case.state)).all())
        events = Counter(
            session.scalars(sa.select(CaseEvent.case_id).where(CaseEvent.kind == "transition"))
        )
        sends = Counter(
            session.scalars(sa.select(OutboxMessage.case_id).where(OutboxMessage.kind == "send"))
        )
        mails = Counter(
            session.scalars(sa.select(OutboxMessage.case_id).where(OutboxMessage.kind == "notify"))
        )
        notes = Counter(session.scalars(sa.select(Notification.case_id)))
    for case_id, transition in winners.items():
        delivered = transition == "delivrer"
        assert states[case_id] == ("delivree" if delivered else "refusee")
        assert events[case_id] == 1
        assert sends[case_id] == (1 if delivered else 0)
        assert mails[case_id] == 2  # the receipt, then the decision: once
        assert notes[case_id] == 2


def test_simultaneous_submissions_get_sequential_references(pg, runtime, clock):
    sessions, published = pg
    barrier = threading.Barrier(30, timeout=60)

    def file(number: int) -> tuple[int, str]:
        slug, answers = (
            ("acte-naissance", BIRTH_ANSWERS)
            if number < 20
            else ("occupation-domaine-public", terrace_answers(clock.now().date()))
        )
        with sessions() as session:
            barrier.wait()
            case = cases.submit_answers(
                session, runtime, published[slug], dict(answers), CITIZEN, clock
            )
            session.commit()
            return case.id, case.reference

    with ThreadPoolExecutor(max_workers=30) as pool:
        filed = [f.result() for f in [pool.submit(file, n) for n in range(30)]]
    assert len({case_id for case_id, _ in filed}) == 30
    references = sorted(reference for _, reference in filed)
    assert references == sorted(
        [f"AN-2026-{n:06d}" for n in range(1, 21)] + [f"ODP-2026-{n:06d}" for n in range(1, 11)]
    )


def test_busy_claims_skip_locked_rows_instead_of_waiting(pg, clock):
    sessions, _ = pg
    with sessions() as session, session.begin():
        for n in range(20):
            outbox.enqueue(
                session,
                case=None,
                kind="send",
                connector="gmao-voirie",
                payload={"n": n},
                now=clock.now(),
            )

    def claim(session):
        return {
            m.id
            for m in outbox.claim(
                session,
                OutboxMessage,
                due_column=OutboxMessage.next_attempt_at,
                now=clock.now(),
                limit=10,
                lease=dt.timedelta(minutes=2),
                running="delivering",
            )
        }

    first = sessions()
    try:
        held = claim(first)  # not committed: the rows stay locked
        other: list[set[int]] = []

        def second_worker():
            with sessions() as session, session.begin():
                other.append(claim(session))

        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the second claim waited for the first one's locks"
        first.commit()
    finally:
        first.close()
    assert len(held) == 10 and len(other[0]) == 10
    assert held.isdisjoint(other[0])


def test_concurrent_workers_deliver_each_row_once(pg, runtime, clock):
    sessions, _ = pg
    with sessions() as session, session.begin():
        rows = [
            outbox.enqueue(
                session,
                case=None,
                kind="send",
                connector="bus-finances",
                payload={"n": n},
                now=clock.now(),
            )
            for n in range(600)
        ]
        session.flush()
        expected = {row.event_id for row in rows}
    connector = RecordingConnector()
    barrier = threading.Barrier(4, timeout=60)

    def work():
        worker = Worker(runtime, sessions, connector, clock=clock, batch=25)
        barrier.wait()
        done = 0
        while count := worker.run_outbox():
            done += count
        return done

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = [f.result() for f in [pool.submit(work) for _ in range(4)]]
    assert sum(done) == 600
    assert Counter(connector.event_ids) == Counter({event_id: 1 for event_id in expected})
    with sessions() as session:
        assert Counter(session.scalars(sa.select(OutboxMessage.status))) == Counter(
            {"delivered": 600}
        )


def test_a_deadline_that_loses_the_race_to_the_citizen_changes_nothing(
    pg, runtime, clock, monkeypatch
):
    """The worker fires the 30-day deadline while the citizen's answer commits first: the
    worker's firing is a conflict, and once retried it sees the case has left the state."""
    sessions, published = pg
    with sessions() as session, session.begin():
        case = cases.submit_answers(
            session, runtime, published["acte-naissance"], dict(BIRTH_ANSWERS), CITIZEN, clock
        )
        cases.fire(
            session,
            runtime,
            case,
            "demander_precisions",
            AGENT,
            clock,
            values={"message": "Précisez."},
        )
        case_id = case.id
    clock.advance(dt.timedelta(days=30))
    real_fire = cases.fire
    raced = []

    def citizen_first(session, runtime_, case, transition_id, actor, clock_, **options):
        if actor.kind == "timer" and not raced:
            raced.append(transition_id)
            with sessions() as other, other.begin():
                mine = other.get(Case, case.id)
                real_fire(
                    other,
                    runtime,
                    mine,
                    "apporter_precisions",
                    Actor("citizen", tracking_token=mine.tracking_token),
                    clock,
                    values={"reponse": "Voici mes précisions."},
                )
        return real_fire(session, runtime_, case, transition_id, actor, clock_, **options)

    monkeypatch.setattr(cases, "fire", citizen_first)
    worker = Worker(runtime, sessions, RecordingConnector(), clock=clock)
    assert worker.run_timers() == 1
    assert raced == ["classer_sans_reponse"]
    clock.advance(dt.timedelta(minutes=1))
    assert worker.run_timers() == 1  # retried after the conflict
    assert worker.run_timers() == 0
    with sessions() as session:
        assert session.get(Case, case_id).state == "en_traitement"
        assert session.scalars(
            sa.select(CaseEvent.transition)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
            .order_by(CaseEvent.id)
        ).all() == ["demander_precisions", "apporter_precisions"]
