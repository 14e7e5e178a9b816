"""Retention (GDPR): closed cases are anonymised once their procedure's ``retention_days``
have passed since closing, unless a legal hold keeps them.

Anonymising a case keeps what statistics and the audit trail need — the procedure, the
department, the states and their dates, the history's events, the satisfaction rating, the
answers of choice fields (the procedure's own options, not what a person wrote) — and
removes what says who the requester is or what they wrote:

- the other answers (names, addresses, e-mails, texts, dates, amounts, files, groups);
- the attachments, rows and stored bytes (whoever gave them: citizen or agent);
- the bodies of messages, internal notes and reminders (replaced by a sentence saying so),
  the satisfaction comment, the values of the history's events (transition forms, ``set``);
- the case's notifications, and the payloads of its outbox rows;
- the requester columns (organisation name, e-mail typed, owner account, tracking link,
  idempotency key).

A procedure without ``retention_days`` keeps its closed cases. :func:`due` lists the cases
whose time has come; :func:`purge` anonymises them (flushed, not committed) and writes one
line of the audit log per run; the caller removes the files' bytes once it has committed
(:func:`engine.storage.remove`). :func:`set_hold` and :func:`lift_hold` are the
supervisor's, each audit-logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import audit, texts
from .catalogue import Runtime
from .clock import Clock
from .errors import Refused
from .models import (
    Attachment,
    Case,
    CaseEvent,
    Document,
    InternalNote,
    Message,
    Notification,
    OutboxMessage,
    Reminder,
    Satisfaction,
)
from .notifications import site_language

#: How many cases one purge anonymises at most (the next run goes on).
BATCH = 200
#: The answers kept: their values are the procedure's options, never a person's words.
KEPT_FIELD_TYPES = frozenset({"choice", "multichoice", "boolean"})
#: The audit log's actions.
PURGED = "retention_purge"
HOLD_SET = "legal_hold_set"
HOLD_LIFTED = "legal_hold_lifted"
#: The longest reason a hold keeps.
MAX_REASON = 2000


@dataclass(frozen=True)
class Due:
    """A closed case whose retention has passed."""

    case_id: int
    procedure: str
    reference: str | None
    closed_at: dt.datetime
    retention_days: int


@dataclass
class Purged:
    cases: list[Due] = field(default_factory=list)
    #: the ids of the attachments whose bytes the caller removes after committing
    attachments: list[str] = field(default_factory=list)
    #: cases under legal hold whose retention has passed (skipped)
    held: int = 0


def retention_days(session: Session, runtime: Runtime, version_id: int) -> int | None:
    """The ``retention_days`` of a published version (None: kept)."""
    return runtime.catalogue.compiled(session, version_id).procedure.retention_days


def due(
    session: Session, runtime: Runtime, clock: Clock, *, limit: int = BATCH
) -> tuple[list[Due], int]:
    """The closed, not yet anonymised cases whose retention has passed, oldest closing
    first (at most ``limit``), and how many more are held back by a legal hold."""
    now = clock.now()
    pending = (Case.closed_at.is_not(None), Case.anonymised_at.is_(None))
    versions = session.scalars(sa.select(Case.version_id).where(*pending).distinct()).all()
    found: list[Due] = []
    held = 0
    for version_id in sorted(versions):
        days = retention_days(session, runtime, version_id)
        if days is None:
            continue
        cutoff = now - dt.timedelta(days=days)
        of_version = (*pending, Case.version_id == version_id, Case.closed_at <= cutoff)
        held += session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(*of_version, Case.legal_hold_at.is_not(None))
        )
        rows = session.execute(
            sa.select(Case.id, Case.procedure, Case.reference, Case.closed_at)
            .where(*of_version, Case.legal_hold_at.is_(None))
            .order_by(Case.closed_at, Case.id)
            .limit(limit)
        )
        found.extend(Due(row.id, row.procedure, row.reference, row.closed_at, days) for row in rows)
    found.sort(key=lambda d: (d.closed_at, d.case_id))
    return found[:limit], held


def purge(
    session: Session,
    runtime: Runtime,
    clock: Clock,
    *,
    account_id: int | None = None,
    limit: int = BATCH,
) -> Purged:
    """Anonymise the cases :func:`due` lists (flushed, not committed) and record the run in
    the audit log (when it anonymised any); returns what went, the attachments' ids
    included, whose bytes the caller removes once it has committed."""
    cases, held = due(session, runtime, clock, limit=limit)
    result = Purged(held=held)
    for item in cases:
        case = session.get(Case, item.case_id, with_for_update=True)
        if case is None or case.anonymised_at is not None or case.legal_hold_at is not None:
            continue  # another worker did it, or a supervisor held it, meanwhile
        result.attachments.extend(anonymise(session, runtime, case, clock.now()))
        result.cases.append(item)
    if result.cases:
        audit.record(
            session,
            account_id,
            PURGED,
            clock.now(),
            detail={
                "cases": [
                    {"id": d.case_id, "procedure": d.procedure, "reference": d.reference}
                    for d in result.cases
                ],
                "attachments": len(result.attachments),
                "held": held,
            },
        )
    session.flush()
    return result


def anonymise(session: Session, runtime: Runtime, case: Case, now: dt.datetime) -> list[str]:
    """Remove the personal data of one case (see the module's docstring); returns the ids
    of its attachments, whose bytes the caller removes after committing."""
    compiled = runtime.catalogue.compiled(session, case.version_id)
    kept = {
        f.id
        for f in compiled.procedure.form.fields
        if f.type in KEPT_FIELD_TYPES and f.id in case.answers
    }
    case.answers = {key: case.answers[key] for key in kept}
    case.organisation_name = case.filer_email = None
    case.owner_id = None
    case.tracking_token = None
    case.idempotency_key = None
    case.current_page = None
    case.anonymised_at = now

    files = list(session.scalars(sa.select(Attachment.id).where(Attachment.case_id == case.id)))
    redacted = texts.redacted(site_language(runtime))
    of_case = {"synchronize_session": False}
    for statement in (
        sa.delete(Attachment).where(Attachment.case_id == case.id),
        sa.delete(Document).where(Document.case_id == case.id),
        sa.delete(Notification).where(Notification.case_id == case.id),
        sa.update(Message).where(Message.case_id == case.id).values(body=redacted),
        sa.update(InternalNote).where(InternalNote.case_id == case.id).values(body=redacted),
        sa.update(Reminder)
        .where(Reminder.case_id == case.id, Reminder.comment != "")
        .values(comment=redacted),
        sa.update(Satisfaction).where(Satisfaction.case_id == case.id).values(comment=""),
        sa.update(CaseEvent).where(CaseEvent.case_id == case.id).values(values={}),
        sa.update(OutboxMessage).where(OutboxMessage.case_id == case.id).values(payload={}),
    ):
        session.execute(statement, execution_options=of_case)
    session.flush()
    session.expire(case, ["events"])
    return files


def set_hold(session: Session, case: Case, reason: str, account_id: int, now: dt.datetime) -> None:
    """Put a legal hold on a submitted case (flushed, not committed), audit-logged: it will
    not be anonymised while the hold lasts."""
    reason = " ".join(reason.split())
    if not reason:
        raise Refused("form", "a legal hold needs a reason")
    if case.is_draft:
        raise Refused("state", "a draft cannot be held")
    if case.anonymised_at is not None:
        raise Refused("state", "this request is anonymised already")
    if case.legal_hold_at is not None:
        raise Refused("state", "this request is under a legal hold already")
    case.legal_hold_at, case.legal_hold_reason = now, reason[:MAX_REASON]
    audit.record(session, account_id, HOLD_SET, now, case=case, detail={"reason": reason})
    session.flush()


def lift_hold(session: Session, case: Case, reason: str, account_id: int, now: dt.datetime) -> None:
    """Lift a case's legal hold (flushed, not committed), audit-logged with its reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise Refused("form", "lifting a legal hold needs a reason")
    if case.legal_hold_at is None:
        raise Refused("state", "this request is not under a legal hold")
    held = {"since": case.legal_hold_at.isoformat(), "hold_reason": case.legal_hold_reason}
    case.legal_hold_at = case.legal_hold_reason = None
    audit.record(
        session, account_id, HOLD_LIFTED, now, case=case, detail={"reason": reason, **held}
    )
    session.flush()
