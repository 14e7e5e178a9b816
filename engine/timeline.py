"""A case's one timeline, and what each member of staff has read of it.

The history (filing, actions, answers set, assignments), the messages both ways, the internal
notes and the citizen's reminders ("relances") merge into one list, oldest first, each entry
naming who acted: a member of staff and the department they acted for, the citizen, or the
system (a timer). What came after a reader last opened the case is unread for them, except
what they did themselves; :func:`mark_read` moves the mark, :func:`unread_counts` gives the
inbox its badges (citizen messages and reminders not read yet) in two queries for a page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import (
    STAFF_KINDS,
    Account,
    Case,
    CaseEvent,
    CaseRead,
    InternalNote,
    Membership,
    Message,
    Reminder,
)

#: The order of entries at the same instant: what happened, then what was said about it.
_ORDER = {"event": 0, "message": 1, "reminder": 2, "note": 3}


@dataclass(frozen=True)
class Entry:
    """One line of a case's timeline."""

    kind: str  # event | message | note | reminder
    id: int
    at: dt.datetime
    actor_kind: str  # citizen | agent | supervisor | administrator | timer | system
    actor_id: int | None = None
    actor_name: str = ""  # the account's name; "" for the system or an anonymous filer
    department: str | None = None  # the department a member of staff acted for
    body: str = ""
    event: CaseEvent | None = None
    assignee_name: str | None = None  # an assignment: to whom ("" for nobody)
    unread: bool = False

    @property
    def by_staff(self) -> bool:
        return self.actor_kind in STAFF_KINDS


class Unread(NamedTuple):
    """What a member of staff has not read of a case yet."""

    messages: int = 0
    reminders: int = 0


def _reader_id(user: Any) -> int | None:
    """An account id from an account, an actor or an id."""
    if user is None or isinstance(user, int):
        return user
    return getattr(user, "account_id", None) or getattr(user, "id", None)


def _rows(session: Session, model, case_id: int) -> list:
    return list(
        session.scalars(sa.select(model).where(model.case_id == case_id).order_by(model.id))
    )


def timeline(session: Session, case: Case, reader: Any = None) -> list[Entry]:
    """Every entry of ``case``'s timeline, oldest first; with ``reader``, what they have not
    read yet (and did not do themselves) is marked ``unread``."""
    reader_id = _reader_id(reader)
    read = session.get(CaseRead, (reader_id, case.id)) if reader_id is not None else None
    events = _rows(session, CaseEvent, case.id)
    messages = _rows(session, Message, case.id)
    notes = _rows(session, InternalNote, case.id)
    reminders = _rows(session, Reminder, case.id)

    people = {case.owner_id} if case.owner_id else set()
    people |= {e.actor_id for e in events if e.actor_id}
    people |= {e.values.get("assignee") for e in events if e.kind == "assigned"} - {None}
    people |= {m.author_id for m in messages if m.author_id}
    people |= {n.author_id for n in notes if n.author_id}
    people = {p for p in people if isinstance(p, int)}
    names: dict[int, str] = {}
    kinds: dict[int, str] = {}
    memberships: dict[int, set[str]] = {}
    if people:
        for account_id, name, kind in session.execute(
            sa.select(Account.id, Account.name, Account.kind).where(Account.id.in_(people))
        ):
            names[account_id], kinds[account_id] = name or "", kind
        for account_id, department in session.execute(
            sa.select(Membership.account_id, Membership.department).where(
                Membership.account_id.in_(people)
            )
        ):
            memberships.setdefault(account_id, set()).add(department)

    def department_of(account_id: int | None) -> str | None:
        """The department a member of staff wrote for: the case's, when theirs."""
        mine = memberships.get(account_id or 0, set())
        if case.department in mine:
            return case.department
        return min(mine) if mine else None

    def unread(kind: str, item_id: int, actor_id: int | None) -> bool:
        if reader_id is None or (actor_id is not None and actor_id == reader_id):
            return False
        seen = getattr(read, f"{kind}_id", 0) if read is not None else 0
        return item_id > (seen or 0)

    citizen = names.get(case.owner_id, "") if case.owner_id else ""
    entries: list[Entry] = []
    for event in events:
        name = names.get(event.actor_id, "") if event.actor_id else ""
        assignee = None
        if event.kind == "assigned":
            assignee = names.get(event.values.get("assignee"), "")
        entries.append(
            Entry(
                "event",
                event.id,
                event.at,
                event.actor_kind,
                event.actor_id,
                name or (citizen if event.actor_kind == "citizen" else ""),
                event.actor_department if event.actor_kind in STAFF_KINDS else None,
                event=event,
                assignee_name=assignee,
                unread=unread("event", event.id, event.actor_id),
            )
        )
    for message in messages:
        staff = message.author_kind != "citizen"
        kind = kinds.get(message.author_id, "agent") if staff else "citizen"
        entries.append(
            Entry(
                "message",
                message.id,
                message.created_at,
                kind,
                message.author_id,
                names.get(message.author_id, "") if message.author_id else citizen,
                department_of(message.author_id) if staff else None,
                body=message.body,
                unread=unread("message", message.id, message.author_id),
            )
        )
    for note in notes:
        entries.append(
            Entry(
                "note",
                note.id,
                note.created_at,
                kinds.get(note.author_id, "agent"),
                note.author_id,
                names.get(note.author_id, "") if note.author_id else "",
                department_of(note.author_id),
                body=note.body,
                unread=unread("note", note.id, note.author_id),
            )
        )
    for reminder in reminders:
        entries.append(
            Entry(
                "reminder",
                reminder.id,
                reminder.created_at,
                "citizen",
                case.owner_id,
                citizen,
                body=reminder.comment,
                unread=unread("reminder", reminder.id, None),
            )
        )
    return sorted(entries, key=lambda e: (e.at, _ORDER[e.kind], e.id))


def mark_read(session: Session, reader: Any, case: Case, now: dt.datetime) -> None:
    """``reader`` has seen all of ``case`` as it is now (one statement, safe when two of their
    tabs open the case at the same instant)."""
    reader_id = _reader_id(reader)
    if reader_id is None:
        return

    def last(model):
        return (
            sa.select(sa.func.coalesce(sa.func.max(model.id), 0))
            .where(model.case_id == case.id)
            .scalar_subquery()
        )

    values = {
        "user_id": reader_id,
        "case_id": case.id,
        "read_up_to": now,
        "event_id": last(CaseEvent),
        "message_id": last(Message),
        "note_id": last(InternalNote),
        "reminder_id": last(Reminder),
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CaseRead)
    statement = insert.values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[CaseRead.user_id, CaseRead.case_id],
        set_={key: statement.excluded[key] for key in values if key not in ("user_id", "case_id")},
    )
    session.execute(statement)
    key = session.identity_key(CaseRead, (reader_id, case.id))
    if key in session.identity_map:  # loaded before the statement: now stale
        session.expire(session.identity_map[key])


def unread_counts(session: Session, user: Any, case_ids) -> dict[int, Unread]:
    """For each of ``case_ids``: the citizen's messages and reminders that ``user`` has not
    read yet. Cases with nothing unread are left out. Two queries, whatever the number of
    cases (each by the cases' (case_id, id) indexes)."""
    reader_id = _reader_id(user)
    ids = sorted({i for i in case_ids if isinstance(i, int)})
    if reader_id is None or not ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    for model, column, where in (
        (Message, "message_id", (Message.author_kind == "citizen",)),
        (Reminder, "reminder_id", ()),
    ):
        read = sa.orm.aliased(CaseRead)
        query = (
            sa.select(model.case_id, sa.func.count())
            .select_from(model)
            .outerjoin(read, sa.and_(read.case_id == model.case_id, read.user_id == reader_id))
            .where(
                model.case_id.in_(ids),
                model.id > sa.func.coalesce(getattr(read, column), 0),
                *where,
            )
            .group_by(model.case_id)
        )
        for case_id, count in session.execute(query):
            counts.setdefault(case_id, {})[column] = count
    return {
        case_id: Unread(found.get("message_id", 0), found.get("reminder_id", 0))
        for case_id, found in counts.items()
    }


def what_was_asked(session: Session, case: Case) -> CaseEvent | None:
    """The action of staff that brought ``case`` into the state it waits in (a request for
    documents or details): its values are what the citizen is asked. None when the case got
    there otherwise (filed into it, or by the citizen or a timer)."""
    if case.state is None:
        return None
    event = session.scalars(
        sa.select(CaseEvent)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "transition",
            CaseEvent.to_state == case.state,
        )
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    if event is None or event.actor_kind not in STAFF_KINDS:
        return None
    return event
