"""What citizens and agents say to each other about a case: messages, reminders, ratings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import texts
from .catalogue import Runtime
from .clock import Clock
from .errors import Refused
from .inbox import touch
from .models import Case, Message, Reminder, Satisfaction
from .notifications import notify_text, site_language
from .workflow import Actor

#: A citizen may remind the agents once in this period.
REMINDER_INTERVAL = dt.timedelta(days=1)
MAX_MESSAGE_LENGTH = 5000


def _is_citizen_of(case: Case, actor: Actor) -> bool:
    if actor.kind != "citizen":
        return False
    if case.owner_id is not None:
        return actor.account_id == case.owner_id
    return actor.tracking_token is not None and actor.tracking_token == case.tracking_token


def post_message(
    session: Session, runtime: Runtime, case: Case, actor: Actor, clock: Clock, body: str
) -> Message:
    """A message from the citizen to the agents of the case's department, or back."""
    body = body.strip()
    if not body or len(body) > MAX_MESSAGE_LENGTH:
        raise Refused("form", f"a message has 1 to {MAX_MESSAGE_LENGTH} characters")
    if _is_citizen_of(case, actor):
        author, audience = "citizen", "agents"
    elif (actor.is_staff or actor.is_api) and case.department in actor.departments:
        author, audience = "agent", "citizen"
    else:
        raise Refused("actor", "only the citizen and the case's agents write about it")
    if case.is_draft:
        raise Refused("state", "a draft has no one to write to yet")
    now = clock.now()
    message = Message(
        case_id=case.id, author_kind=author, author_id=actor.account_id, body=body, created_at=now
    )
    session.add(message)
    touch(session, case, now)
    compiled = runtime.catalogue.compiled(session, case.version_id)
    subject = texts.new_message(site_language(runtime), case.reference)
    notify_text(session, runtime, compiled, case, audience, now, subject=subject, body=body)
    session.flush()
    return message


def remind(
    session: Session, runtime: Runtime, case: Case, actor: Actor, clock: Clock, comment: str = ""
) -> Reminder:
    """The citizen's "relance": at most once per :data:`REMINDER_INTERVAL`, on an open case."""
    if not _is_citizen_of(case, actor):
        raise Refused("actor", "only the citizen who filed the request can send a reminder")
    if case.is_draft or case.closed_at is not None:
        raise Refused("state", "reminders are for requests in progress")
    now = clock.now()
    last = session.scalar(
        sa.select(sa.func.max(Reminder.created_at)).where(Reminder.case_id == case.id)
    )
    if last is not None and now - last < REMINDER_INTERVAL:
        raise Refused("rate", "a reminder was already sent in the last 24 hours")
    reminder = Reminder(case_id=case.id, created_at=now, comment=comment.strip()[:1000])
    session.add(reminder)
    touch(session, case, now)
    compiled = runtime.catalogue.compiled(session, case.version_id)
    subject, no_comment = texts.citizen_reminder(site_language(runtime), case.reference)
    notify_text(
        session,
        runtime,
        compiled,
        case,
        "agents",
        now,
        subject=subject,
        body=reminder.comment or no_comment,
    )
    session.flush()
    return reminder


def rate(
    session: Session, case: Case, actor: Actor, clock: Clock, rating: int, comment: str = ""
) -> Satisfaction:
    """How satisfied the citizen was: once, after the case is closed."""
    if not _is_citizen_of(case, actor):
        raise Refused("actor", "only the citizen who filed the request can rate it")
    if case.closed_at is None:
        raise Refused("state", "a request is rated once it is closed")
    if not 1 <= rating <= 5:
        raise Refused("form", "the rating goes from 1 to 5")
    if session.get(Satisfaction, case.id) is not None:
        raise Refused("state", "this request is already rated")
    satisfaction = Satisfaction(
        case_id=case.id, rating=rating, comment=comment.strip()[:2000], created_at=clock.now()
    )
    session.add(satisfaction)
    session.flush()
    return satisfaction
