"""Notifications (to the citizen, to agents) and deliveries to connectors, as outbox rows.

A notification is shown in the personal space or the inbox (a :class:`Notification` row)
and, when the site has an e-mail connector, mailed through the outbox. A ``send`` action
hands the case to a connector as one JSON event (a CloudEvents-style envelope).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from jinja2.exceptions import TemplateError
from sqlalchemy.orm import Session

from definitions.model import Action

from . import texts
from .audit import record_not_rendered
from .catalogue import Runtime
from .models import Account, Attachment, Case, Document, Membership, Notification
from .outbox import enqueue
from .workflow import CompiledProcedure

EVENT_SOURCE = "guichet"
#: What rendering a checked text may still raise at run time, on the case's own values: a
#: bound of the sandbox broken (``SecurityError``, a ``TemplateError``), or an operation the
#: values do not allow (``{{ nom + 1 }}`` on a text).
RENDERING_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError)
#: The audit log's action for a ``notify`` whose text could not be rendered.
NOTIFICATION_FAILED = "notification_failed"


def citizen_email(session: Session, compiled: CompiledProcedure, case: Case) -> str | None:
    """The citizen's address: their account's, else the first e-mail answer."""
    if case.owner_id is not None:
        account = session.get(Account, case.owner_id)
        if account is not None:
            return account.email
    for field in compiled.procedure.form.fields:
        if field.type == "email" and case.answers.get(field.id):
            return str(case.answers[field.id])
    return None


def agent_emails(session: Session, runtime: Runtime, department: str | None) -> list[str]:
    """The department's shared address, else its members' addresses."""
    if department is None:
        return []
    if runtime.site is not None and department in runtime.site.departments:
        shared = runtime.site.departments[department].email
        if shared:
            return [shared]
    return sorted(
        session.scalars(
            sa.select(Account.email)
            .join(Membership)
            .where(Membership.department == department, Account.active.is_(True))
        )
    )


def site_language(runtime: Runtime) -> str:
    """The language the engine writes in: the site's first (French without a site)."""
    return runtime.site.languages[0] if runtime.site else "fr"


def site_timezone(runtime: Runtime) -> str | None:
    """The site's time zone, in which texts show moments (Paris without a site)."""
    return runtime.site.timezone if runtime.site else None


def one_line(text: str) -> str:
    """A subject on one line, without doubled spaces (what a template left around a value);
    no-break spaces (French punctuation, grouped digits) stay."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()


def rendered(runtime: Runtime, action: Action, names: dict[str, Any]) -> tuple[str | None, str]:
    """The subject and body of a ``notify`` action, values formatted for the reader, in
    the site's language and time zone."""
    language, timezone = site_language(runtime), site_timezone(runtime)
    subject = (
        action.subject.render(names, language, timezone) if action.subject is not None else None
    )
    body = action.body.render(names, language, timezone) if action.body is not None else ""
    return subject, body


def safely_rendered(
    session: Session,
    runtime: Runtime,
    case: Case,
    action: Action,
    names: dict[str, Any],
    now: dt.datetime,
) -> tuple[str | None, str] | None:
    """The texts of a ``notify`` action, or None when they cannot be rendered on this
    case's values (one that would build more than the sandbox allows): then the text is
    not sent, the failure and its reason go to the audit log, on the case, and what the
    case was doing (a submission, a transition) goes on."""
    try:
        return rendered(runtime, action, names)
    except RENDERING_ERRORS as error:
        record_not_rendered(session, case, NOTIFICATION_FAILED, error, now, target=action.target)
        return None


def notify_action(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    action: Action,
    names: dict[str, Any],
    now: dt.datetime,
) -> None:
    """A ``notify`` action of the workflow: its subject and body rendered with ``names``
    in the site's language, told to the action's target (the citizen or the agents)."""
    texts = safely_rendered(session, runtime, case, action, names, now)
    if texts is None:
        return
    subject, body = texts
    notify_text(session, runtime, compiled, case, action.target, now, subject=subject, body=body)


def notify_text(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    audience: str,
    now: dt.datetime,
    *,
    subject: str | None,
    body: str,
) -> None:
    """Tell the citizen or the agents of the case's department a text written already
    (a receipt, a reminder, a message); without a subject, the procedure's title and the
    case's reference."""
    if not subject:
        title = compiled.procedure.title.get(site_language(runtime))
        subject = f"{title} — {case.reference}"
    subject = one_line(subject)
    notification = Notification(
        case_id=case.id,
        account_id=case.owner_id if audience == "citizen" else None,
        audience=audience,
        department=case.department if audience == "agents" else None,
        subject=subject,
        body=body,
        created_at=now,
    )
    session.add(notification)
    documents = _documents_for(session, case, audience, notification)
    recipients = (
        [citizen_email(session, compiled, case)]
        if audience == "citizen"
        else agent_emails(session, runtime, case.department)
    )
    recipients = [r for r in recipients if r]
    connector = runtime.mail_connector
    if connector is None or not recipients:
        return  # no way to mail it: the notification stays in the personal space or inbox
    payload = {
        "to": recipients,
        "subject": subject,
        "text": body,
        "reference": case.reference,
        "procedure": case.procedure,
    }
    if documents:
        payload["documents"] = documents  # attached by the worker when it delivers
    enqueue(
        session,
        case=case,
        kind="notify",
        connector=connector,
        audience=audience,
        payload=payload,
        now=now,
    )


def _documents_for(
    session: Session, case: Case, audience: str, notification: Notification
) -> list[str]:
    """The ids of the case's documents waiting for the citizen's next notification
    (``document: … to: citizen``), now marked as gone with ``notification``."""
    if audience != "citizen":
        return []
    waiting = list(
        session.scalars(
            sa.select(Document)
            .where(
                Document.case_id == case.id,
                Document.audience == "citizen",
                Document.notification_id.is_(None),
            )
            .order_by(Document.created_at)
        )
    )
    if not waiting:
        return []
    session.flush()  # the notification's id
    for document in waiting:
        document.notification_id = notification.id
    return [document.id for document in waiting]


def notify_receipt(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    now: dt.datetime,
    *,
    tracking_link: Callable[[str], str] | None = None,
    own: tuple[str, ...] = (),
) -> None:
    """The acknowledgement of receipt of a case just submitted, in the personal space and
    by e-mail (outbox), in the site's language: a greeting, its reference and day, the
    procedure's own texts for the citizen at filing (``own``: one mail, not two), what
    the authority's silence will mean and from which day, with the appeal or certificate
    it opens (:mod:`engine.receipts`), for an anonymous filer the tracking link that
    ``tracking_link`` makes of the case's token, and the service in charge with its postal
    address, phone and e-mail."""
    from .receipts import receipt_of, receipt_paragraphs

    language = site_language(runtime)
    link = None
    if tracking_link is not None and case.tracking_token and case.owner_id is None:
        link = tracking_link(case.tracking_token)
    subject, body = texts.receipt(
        language,
        compiled.procedure.title.get(language),
        receipt_paragraphs(receipt_of(runtime, compiled, case)),
        link,
        name=_filer_name(session, case),
        own=own,
    )
    notify_text(session, runtime, compiled, case, "citizen", now, subject=subject, body=body)


def _filer_name(session: Session, case: Case) -> str | None:
    account = session.get(Account, case.owner_id) if case.owner_id is not None else None
    return account.name if account is not None else None


def event_envelope(
    session: Session, compiled: CompiledProcedure, case: Case, now: dt.datetime, event_id: str
) -> dict[str, Any]:
    """The JSON event a connector receives (see ``guichet schema --payload``)."""
    attachments = [
        {
            "id": a.id,
            "field": a.field,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        for a in session.scalars(
            sa.select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.created_at)
        )
    ]
    return {
        "specversion": "1.0",
        "id": event_id,
        "type": f"fr.guichet.case.{case.state}",
        "source": f"{EVENT_SOURCE}/procedures/{case.procedure}",
        "subject": case.reference,
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "procedure": case.procedure,
            "version": compiled.procedure.version,
            "reference": case.reference,
            "state": case.state,
            "department": case.department,
            "submitted_at": case.submitted_at.isoformat() if case.submitted_at else None,
            "answers": case.answers,
            "attachments": attachments,
        },
    }


def send(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    connector: str,
    now: dt.datetime,
) -> None:
    """Hand the case to a connector instance of the site config."""
    event_id = str(uuid.uuid4())
    enqueue(
        session,
        case=case,
        kind="send",
        connector=connector,
        payload=event_envelope(session, compiled, case, now, event_id),
        now=now,
        event_id=event_id,
    )


def payload_schema(compiled_procedure) -> dict[str, Any]:
    """The JSON Schema of the events a connector receives for a procedure (``send``)."""
    procedure = compiled_procedure
    states = [s.id for s in procedure.workflow.states]
    answers = {k: v for k, v in procedure.answers_schema.items() if k != "$schema"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Guichet event: {procedure.slug} v{procedure.version}",
        "description": "One case handed to a connector: a CloudEvents 1.0 envelope (JSON "
        "format). Receivers deduplicate on 'id'.",
        "type": "object",
        "required": ["specversion", "id", "type", "source", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "the event id, stable across retries"},
            "type": {"enum": [f"fr.guichet.case.{state}" for state in states]},
            "source": {"const": f"{EVENT_SOURCE}/procedures/{procedure.slug}"},
            "subject": {"type": "string", "description": "the case's reference"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "data": {
                "type": "object",
                "required": [
                    "procedure",
                    "version",
                    "reference",
                    "state",
                    "department",
                    "answers",
                    "attachments",
                ],
                "properties": {
                    "procedure": {"const": procedure.slug},
                    "version": {"type": "integer"},
                    "reference": {"type": "string"},
                    "state": {"enum": states},
                    "department": {"type": "string"},
                    "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                    "answers": answers,
                    "attachments": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "id",
                                "field",
                                "filename",
                                "content_type",
                                "size",
                                "sha256",
                            ],
                            "properties": {
                                "id": {"type": "string"},
                                "field": {"type": "string"},
                                "filename": {"type": "string"},
                                "content_type": {"type": "string"},
                                "size": {"type": "integer"},
                                "sha256": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    }
