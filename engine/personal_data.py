"""What Guichet holds about a person (GDPR articles 15 and 20), and deleting a citizen's
account (article 17).

:func:`export` gathers, as plain JSON values, the account (its details, profile, linked
identities), every request it owns or that was filed with its e-mail address without an
account — drafts included — with the answers, the files' descriptions, the history, the
messages both ways, the reminders, the satisfaction, and the notifications of the personal
space. The agents' internal notes are not part of it. Staff produce it for their
departments' requests only (``departments``), and see the account's details only when it
has one of them.

:func:`delete_account` deletes a citizen's account: its drafts go with their files; its
submitted requests stay with the authority, detached from the account, and follow their
retention (:mod:`engine.retention`); mails about them then go to the e-mail address typed
in the form, if any.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import audit
from .catalogue import Runtime
from .clock import Clock
from .drafts import _delete as delete_drafts
from .errors import Refused
from .models import (
    Account,
    AccountSession,
    AccountToken,
    Attachment,
    AuditEvent,
    Case,
    CaseEvent,
    Document,
    ExternalIdentity,
    Message,
    Notification,
    Reminder,
    Satisfaction,
)

#: The audit log's actions.
EXPORTED = "personal_data_export"
ACCOUNT_DELETED = "account_deleted"


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def cases_of(
    session: Session,
    account: Account | None,
    email: str | None,
    departments: Collection[str] | None = None,
) -> list[Case]:
    """The requests of ``account`` and those filed without an account with ``email``,
    oldest first; only ``departments``' submitted ones when given."""
    conditions = []
    if account is not None:
        conditions.append(Case.owner_id == account.id)
    if email:
        conditions.append(sa.and_(Case.owner_id.is_(None), Case.filer_email == email.lower()))
    if not conditions:
        return []
    query = sa.select(Case).where(sa.or_(*conditions))
    if departments is not None:
        query = query.where(Case.department.in_(list(departments)), Case.submitted_at.is_not(None))
    return list(session.scalars(query.order_by(Case.id)))


def export(
    session: Session,
    runtime: Runtime,
    clock: Clock,
    *,
    account: Account | None = None,
    email: str | None = None,
    departments: Collection[str] | None = None,
) -> dict[str, Any]:
    """Everything held about the person of ``account`` (or of ``email``: their account, if
    one has this address, and the requests filed with it), as JSON values."""
    if account is None and email:
        email = email.strip().lower()
        account = session.scalars(sa.select(Account).where(Account.email == email)).first()
    if account is not None:
        email = account.email
    site = runtime.site
    requests = cases_of(session, account, email, departments)
    # staff see an account's details only when it has a request in their departments
    withheld = account is not None and departments is not None and not requests
    data: dict[str, Any] = {
        "generated_at": clock.now().isoformat(),
        "controller": str(site.authority) if site is not None else None,
        "email": email,
        "account": _account(session, account) if account is not None and not withheld else None,
        "account_withheld": withheld,
        "requests": [_request(session, runtime, case) for case in requests],
    }
    data["notifications"] = (
        []
        if withheld
        else [
            {
                "at": _when(n.created_at),
                "subject": n.subject,
                "body": n.body,
                "read_at": _when(n.read_at),
            }
            for n in session.scalars(
                sa.select(Notification)
                .where(Notification.account_id == account.id)
                .order_by(Notification.id)
            )
            if departments is None or n.department in departments
        ]
        if account is not None
        else []
    )
    return data


def _account(session: Session, account: Account) -> dict[str, Any]:
    return {
        "email": account.email,
        "name": account.name,
        "kind": account.kind,
        "created_at": _when(account.created_at),
        "email_confirmed_at": _when(account.email_confirmed_at),
        "profile": dict(account.profile or {}),
        "prefill_consent": account.prefill_consent,
        "identities": [
            {
                "provider": identity.provider,
                "linked_at": _when(identity.linked_at),
                "last_seen_at": _when(identity.last_seen_at),
                "claims": dict(identity.claims or {}),
            }
            for identity in session.scalars(
                sa.select(ExternalIdentity)
                .where(ExternalIdentity.account_id == account.id)
                .order_by(ExternalIdentity.id)
            )
        ],
        "sessions": [
            {"created_at": _when(s.created_at), "last_seen_at": _when(s.last_seen_at)}
            for s in session.scalars(
                sa.select(AccountSession)
                .where(AccountSession.account_id == account.id, AccountSession.revoked_at.is_(None))
                .order_by(AccountSession.id)
            )
        ],
    }


def _request(session: Session, runtime: Runtime, case: Case) -> dict[str, Any]:
    procedure = runtime.catalogue.compiled(session, case.version_id).procedure
    satisfaction = session.get(Satisfaction, case.id)
    return {
        "reference": case.reference,
        "procedure": case.procedure,
        "version": case.version.version,
        "title": str(procedure.title),
        "department": case.department,
        "state": case.state,
        "channel": case.channel,
        "draft": case.is_draft,
        "created_at": _when(case.created_at),
        "submitted_at": _when(case.submitted_at),
        "closed_at": _when(case.closed_at),
        "anonymised_at": _when(case.anonymised_at),
        "retention_days": procedure.retention_days,
        "answers": dict(case.answers or {}),
        "files": [
            {
                "field": a.field,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "added_at": _when(a.created_at),
            }
            for a in session.scalars(
                sa.select(Attachment)
                .where(Attachment.case_id == case.id)
                .order_by(Attachment.created_at)
            )
        ],
        "documents": [
            {
                "name": d.name,
                "filename": d.filename,
                "size": d.size,
                "sha256": d.sha256,
                "written_at": _when(d.created_at),
            }
            for d in session.scalars(
                sa.select(Document).where(Document.case_id == case.id).order_by(Document.created_at)
            )
        ],
        "history": [
            {
                "at": _when(e.at),
                "event": e.kind,
                "by": e.actor_kind,
                "transition": e.transition,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "values": dict(e.values or {}),
            }
            for e in session.scalars(
                sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ],
        "messages": [
            {"at": _when(m.created_at), "from": m.author_kind, "body": m.body}
            for m in session.scalars(
                sa.select(Message).where(Message.case_id == case.id).order_by(Message.id)
            )
        ],
        "reminders": [
            {"at": _when(r.created_at), "comment": r.comment}
            for r in session.scalars(
                sa.select(Reminder).where(Reminder.case_id == case.id).order_by(Reminder.id)
            )
        ],
        "satisfaction": (
            {"rating": satisfaction.rating, "comment": satisfaction.comment}
            if satisfaction is not None
            else None
        ),
    }


def delete_account(session: Session, account: Account, clock: Clock) -> dict[str, int]:
    """Delete a citizen's account (flushed, not committed), audit-logged; returns how many
    drafts went and how many requests were detached, and ``files``: the ids of the drafts'
    attachments, whose bytes the caller removes once it has committed."""
    if account.kind != "citizen":
        raise Refused("actor", "only a citizen's own account is deleted this way")
    owned = sa.select(Case.id).where(Case.owner_id == account.id)
    drafts = list(session.scalars(owned.where(Case.submitted_at.is_(None))))
    files = delete_drafts(session, drafts) if drafts else []
    detached = list(session.scalars(owned))
    of_account = {"synchronize_session": False}
    for statement in (
        sa.update(Case).where(Case.owner_id == account.id).values(owner_id=None),
        sa.update(Attachment).where(Attachment.owner_id == account.id).values(owner_id=None),
        sa.update(CaseEvent).where(CaseEvent.actor_id == account.id).values(actor_id=None),
        sa.update(Message).where(Message.author_id == account.id).values(author_id=None),
        sa.update(AuditEvent).where(AuditEvent.account_id == account.id).values(account_id=None),
        sa.delete(Notification).where(Notification.account_id == account.id),
        sa.delete(AccountToken).where(AccountToken.account_id == account.id),
        sa.delete(AccountSession).where(AccountSession.account_id == account.id),
        sa.delete(ExternalIdentity).where(ExternalIdentity.account_id == account.id),
    ):
        session.execute(statement, execution_options=of_account)
    account_id = account.id
    session.delete(account)
    session.flush()
    audit.record(
        session,
        None,
        ACCOUNT_DELETED,
        clock.now(),
        detail={"account": account_id, "drafts": len(drafts), "requests": len(detached)},
    )
    session.flush()
    return {"drafts": len(drafts), "requests": len(detached), "files": files}
