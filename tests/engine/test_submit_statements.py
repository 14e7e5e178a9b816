"""What a submission writes: the case once, and no deadline of a state it never was in."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from engine import cases
from engine.models import Case, Timer
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS

CITIZEN = Actor("citizen")


def test_a_submission_writes_the_case_once_and_cancels_no_deadline(
    sessions, db_engine, runtime, published, clock
):
    with sessions() as session, session.begin():
        draft = cases.new_draft(session, runtime, published["acte-naissance"], CITIZEN, clock)
        draft.answers = dict(BIRTH_ANSWERS)
        draft_id = draft.id
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db_engine, "before_cursor_execute", record)
    try:
        with sessions() as session, session.begin():
            case = session.get(Case, draft_id)
            cases.submit(session, runtime, case, CITIZEN, clock, idempotency_key="k", receipt=True)
            reference = case.reference
    finally:
        sa.event.remove(db_engine, "before_cursor_execute", record)
    writes = Counter(" ".join(s.split()[:3]) for s in seen if s.startswith(("UPDATE", "INSERT")))
    assert writes["UPDATE cases SET"] == 1, writes
    assert not any(s.startswith("UPDATE timers") for s in seen), seen
    assert reference
    with sessions() as session:
        # the deadlines of the state it entered are there, pending
        found = Counter(session.scalars(sa.select(Timer.status).where(Timer.case_id == draft_id)))
    assert found and set(found) == {"pending"}, found
