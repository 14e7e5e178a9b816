"""The events feed: every change of the client's departments' cases (their history) and
every delivery (the outbox), oldest first, from a cursor.

A cursor is two ids, ``HISTORY.OUTBOX``: the last history row and the last outbox row read.
Ids only grow, but on PostgreSQL they are taken when a row is inserted, not when its
transaction commits, so a row with a smaller id can become visible after a larger one. The
feed therefore serves only rows older than a settling window (``API_EVENTS_SETTLE_SECONDS``,
a few seconds): far longer than any of Guichet's transactions (they hold no lock across a
request and write their history last), so every row the feed will ever show has been
committed when the cursor passes it, and nothing committed is skipped. A transaction that
stayed open longer than the window between writing a history row and committing could
still be skipped: keep the window above the longest transaction (statement timeouts).

The two sources are merged in time order; each keeps its id order, so a page is a prefix of
each source and the cursor after it is exact.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from spectree import Response as Responses

from engine.models import Case, CaseEvent, OutboxMessage

from ..services import db, services
from . import bp
from .clients import audit, client, requires
from .problems import ApiProblem
from .schemas import Event, EventList, EventQuery, Problem
from .spec import spectree


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    history, _, outbox = cursor.partition(".")
    if not (history.isdigit() and outbox.isdigit()):
        raise ApiProblem(422, errors=[{"field": "after", "message": "not a cursor"}])
    return int(history), int(outbox)


def settled_before() -> dt.datetime:
    window = float(current_app.config["API_EVENTS_SETTLE_SECONDS"])
    return services().clock.now() - dt.timedelta(seconds=window)


def history_rows(after: int, until: dt.datetime, departments, limit: int) -> list:
    return list(
        db().execute(
            sa.select(CaseEvent, Case.reference, Case.procedure)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(
                CaseEvent.id > after,
                CaseEvent.at <= until,
                Case.department.in_(departments),
                Case.submitted_at.is_not(None),
            )
            .order_by(CaseEvent.id)
            .limit(limit)
        )
    )


def outbox_rows(after: int, until: dt.datetime, departments, limit: int) -> list:
    return list(
        db().execute(
            sa.select(OutboxMessage, Case.reference, Case.procedure)
            .join(Case, Case.id == OutboxMessage.case_id)
            .where(
                OutboxMessage.id > after,
                OutboxMessage.created_at <= until,
                Case.department.in_(departments),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def history_event(row, cursor: str) -> Event:
    event, reference, procedure = row
    return Event(
        cursor=cursor,
        type=f"case.{event.kind}",
        at=event.at,
        case_id=event.case_id,
        reference=reference,
        procedure=procedure,
        data={
            "id": event.id,
            "actor": event.actor_kind,
            "department": event.actor_department,
            "transition": event.transition,
            "from_state": event.from_state,
            "to_state": event.to_state,
        },
    )


def delivery_event(row, cursor: str) -> Event:
    message, reference, procedure = row
    return Event(
        cursor=cursor,
        type="delivery",
        at=message.created_at,
        case_id=message.case_id,
        reference=reference,
        procedure=procedure,
        data={
            "id": message.id,
            "event_id": message.event_id,
            "kind": message.kind,
            "connector": message.connector,
            "audience": message.audience,
            "status": message.status,
            "attempts": message.attempts,
            "delivered_at": message.delivered_at.isoformat() if message.delivered_at else None,
        },
    )


def merged(history: list, outbox: list, start: tuple[int, int], limit: int) -> list[Event]:
    """Both sources in time order (ties: history first), each in its id order."""
    events: list[Event] = []
    last_history, last_outbox = start
    h = o = 0
    while len(events) < limit and (h < len(history) or o < len(outbox)):
        take_history = o >= len(outbox) or (
            h < len(history) and history[h][0].at <= outbox[o][0].created_at
        )
        if take_history:
            last_history = history[h][0].id
            events.append(history_event(history[h], f"{last_history}.{last_outbox}"))
            h += 1
        else:
            last_outbox = outbox[o][0].id
            events.append(delivery_event(outbox[o], f"{last_history}.{last_outbox}"))
            o += 1
    return events


@bp.get("/events")
@requires("events:read")
@spectree.validate(
    query=EventQuery,
    resp=Responses(HTTP_200=EventList, HTTP_422=Problem),
    tags=["events"],
    operation_id="list_events",
)
def list_events(query: EventQuery):
    """The events of the client's departments, from a cursor

    Every change of a case (`case.submitted`, `case.transition`, `case.set`, `case.assigned`,
    `case.migrated`) and every delivery (`delivery`: notifications and connectors, with their
    status as it is now), oldest first. Pass the page's `next` as `after` to read on; a
    receiver that was down reads on from its last cursor and misses nothing. Events appear a
    few seconds after they happen (the settling window)."""
    start = parse_cursor(query.after)
    until = settled_before()
    departments = client().departments
    history = history_rows(start[0], until, departments, query.limit)
    outbox = outbox_rows(start[1], until, departments, query.limit)
    events = merged(history, outbox, start, query.limit)
    cursor = events[-1].cursor if events else f"{start[0]}.{start[1]}"
    audit("api.events", after=query.after, count=len(events))
    db().commit()
    return EventList(items=events, next=cursor)
