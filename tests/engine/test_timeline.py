"""A case's one timeline (history, messages, notes, reminders) naming who acted, and what
each member of staff has read of it: on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from engine import cases, exchanges, timeline
from engine.models import Account, InternalNote, Membership
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS


def people(session) -> dict[str, Account]:
    """A citizen, an agent of two departments and a colleague of the état civil."""
    found = {}
    for key, name, kind, departments in [
        ("citizen", "Camille Martin", "citizen", ()),
        ("marie", "Marie Durand", "agent", ("accueil", "etat-civil")),
        ("paul", "Paul Roux", "agent", ("etat-civil",)),
    ]:
        account = Account(email=f"{key}@example.org", name=name, kind=kind)
        account.memberships = [Membership(department=d) for d in departments]
        session.add(account)
        found[key] = account
    session.flush()
    return found


def actor(account: Account) -> Actor:
    return Actor(account.kind, account.id, account.departments)


def file(session, runtime, published, clock, owner: Account):
    return cases.submit_answers(
        session,
        runtime,
        published["acte-naissance"],
        dict(BIRTH_ANSWERS),
        actor(owner),
        clock,
        owner_id=owner.id,
    )


def test_unread_counts_follow_what_each_agent_read(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        who = people(session)
        first, second = (file(session, runtime, published, clock, who["citizen"]) for _ in "12")
        citizen = actor(who["citizen"])
        exchanges.post_message(session, runtime, first, citizen, clock, "Où en est-elle ?")
        exchanges.remind(session, runtime, first, citizen, clock, "Urgent")
        exchanges.post_message(session, runtime, second, citizen, clock, "Une question")
        # what staff write is no citizen message to read
        exchanges.post_message(session, runtime, second, actor(who["marie"]), clock, "Réponse")
        ids = (first.id, second.id)
        marie, paul = who["marie"].id, who["paul"].id

    engine = sessions.kw["bind"]
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with sessions() as session:
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            counts = timeline.unread_counts(session, marie, [*ids, 999_999])
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
    assert counts == {ids[0]: timeline.Unread(1, 1), ids[1]: timeline.Unread(1, 0)}
    assert len(statements) == 2  # whatever the number of cases

    clock.advance(dt.timedelta(minutes=5))
    with sessions() as session, session.begin():
        case = session.get(cases.Case, ids[0])
        timeline.mark_read(session, marie, case, clock.now())
        timeline.mark_read(session, marie, case, clock.now())  # twice: one row, no error
    with sessions() as session:
        assert timeline.unread_counts(session, marie, ids) == {ids[1]: timeline.Unread(1, 0)}
        assert timeline.unread_counts(session, paul, ids)[ids[0]] == timeline.Unread(1, 1)
        assert timeline.unread_counts(session, None, ids) == {}

    clock.advance(dt.timedelta(days=2))
    with sessions() as session, session.begin():
        case = session.get(cases.Case, ids[0])
        exchanges.remind(session, runtime, case, actor_of(session, "citizen"), clock, "")
    with sessions() as session:
        assert timeline.unread_counts(session, marie, ids)[ids[0]] == timeline.Unread(0, 1)


def actor_of(session, key: str) -> Actor:
    account = session.scalars(sa.select(Account).where(Account.email == f"{key}@example.org"))
    return actor(account.one())


def test_the_timeline_names_who_acted_oldest_first(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        who = people(session)
        case = file(session, runtime, published, clock, who["citizen"])
        marie = actor(who["marie"])
        clock.advance(dt.timedelta(minutes=1))
        cases.assign(session, case, who["paul"], marie, clock)
        clock.advance(dt.timedelta(minutes=1))
        exchanges.post_message(session, runtime, case, actor(who["citizen"]), clock, "Merci")
        clock.advance(dt.timedelta(minutes=1))
        session.add(
            InternalNote(
                case_id=case.id, author_id=who["marie"].id, body="Vu", created_at=clock.now()
            )
        )
        clock.advance(dt.timedelta(minutes=1))
        cases.fire(
            session,
            runtime,
            case,
            "demander_precisions",
            marie,
            clock,
            values={"message": "La date exacte, s'il vous plaît."},
        )
        session.flush()
        entries = timeline.timeline(session, case, who["marie"].id)
        paul_sees = timeline.timeline(session, case, who["paul"])

    assert [(e.kind, e.event.kind if e.event else None) for e in entries] == [
        ("event", "submitted"),
        ("event", "assigned"),
        ("message", None),
        ("note", None),
        ("event", "transition"),
    ]
    assert [e.actor_name for e in entries] == [
        "Camille Martin",
        "Marie Durand",
        "Camille Martin",
        "Marie Durand",
        "Marie Durand",
    ]
    # a member of two departments acts for the case's
    assert entries[1].department == "etat-civil" and entries[4].department == "etat-civil"
    assert entries[1].assignee_name == "Paul Roux"
    assert entries[4].event.values == {"message": "La date exacte, s'il vous plaît."}
    # what Marie did herself is not news to her; all of it is to Paul
    assert [e.unread for e in entries] == [True, False, True, False, False]
    assert all(e.unread for e in paul_sees)


def test_what_was_asked_is_the_request_the_case_waits_on(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        who = people(session)
        case = file(session, runtime, published, clock, who["citizen"])
        assert timeline.what_was_asked(session, case) is None
        cases.fire(
            session,
            runtime,
            case,
            "demander_precisions",
            actor(who["paul"]),
            clock,
            values={"message": "Le nom de votre mère."},
        )
        asked = timeline.what_was_asked(session, case)
        assert asked.values == {"message": "Le nom de votre mère."}
        cases.fire(
            session,
            runtime,
            case,
            "apporter_precisions",
            actor(who["citizen"]),
            clock,
            values={"reponse": "Durand"},
        )
        # the citizen answered: nothing is asked of them any more
        assert timeline.what_was_asked(session, case) is None
