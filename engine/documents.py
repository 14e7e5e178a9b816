"""Documents the workflow writes (``document:`` actions): an administrators' HTML template,
rendered with the case's names in the sandbox, made into a tagged, archivable PDF and kept
on the case, immutable, with its SHA-256.

The PDF is rendered in the transaction of the step that writes it (a few hundred
milliseconds): the document exists exactly when that step committed, so the notification
that carries it (queued in the same transaction, delivered after it) always finds it.
A document whose template cannot be rendered on the case's values is not written; the
failure goes to the audit log and the step goes on, as for a notification.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
import unicodedata
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from definitions.model import Action

from .audit import record_not_rendered
from .catalogue import Runtime
from .models import Case, Document
from .notifications import RENDERING_ERRORS, one_line, site_language, site_timezone
from .pdf import PdfUnavailable, render_pdf

#: The audit log's action for a ``document`` that could not be written.
DOCUMENT_FAILED = "document_failed"
PDF = "application/pdf"


def as_document(body: str, language: str, title: str) -> str:
    """A template's HTML as a whole document whose ``<html>`` names its language and whose
    ``<title>`` names it (what a tagged PDF's reader announces), whatever the template gave."""
    if not re.search(r"<html[\s>]", body, re.IGNORECASE):
        return (
            f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
        )
    if not re.search(r"<html[^>]*\slang=", body, re.IGNORECASE):
        body = re.sub(
            r"<html(?=[\s>])", f'<html lang="{html.escape(language)}"', body, count=1, flags=re.I
        )
    if not re.search(r"<title[\s>]", body, re.IGNORECASE):
        tag = f"<title>{html.escape(title)}</title>"
        if re.search(r"<head[\s>]", body, re.IGNORECASE):
            body = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + tag, body, count=1, flags=re.I)
        else:
            body = re.sub(
                r"(<html[^>]*>)",
                lambda m: m.group(1) + f"<head>{tag}</head>",
                body,
                count=1,
                flags=re.I,
            )
    return body


def file_name(name: str) -> str:
    """A download name for a document: its name in plain letters, digits and dashes."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:100]
    return f"{stem or 'document'}.pdf"


def write_document(
    session: Session,
    runtime: Runtime,
    case: Case,
    action: Action,
    names: dict[str, Any],
    now: dt.datetime,
) -> Document | None:
    """Render a ``document:`` action for ``case`` and keep it; None when it could not be
    rendered (the reason is in the audit log, on the case)."""
    language, timezone = site_language(runtime), site_timezone(runtime)
    try:
        name = (
            one_line(action.name.render(names, language, timezone)) if action.name else ""
        ) or f"{action.target} {case.reference}"
        body = action.template.render(names, language, timezone)
        content = render_pdf(as_document(body, language, name))
    except (*RENDERING_ERRORS, PdfUnavailable) as error:
        record_not_rendered(session, case, DOCUMENT_FAILED, error, now, template=action.target)
        return None
    document = Document(
        id=str(uuid.uuid4()),
        case_id=case.id,
        template=action.target,
        name=name[:255],
        filename=file_name(name),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        audience=action.to,
        created_at=now,
    )
    session.add(document)
    return document


def case_documents(session: Session, case_id: int) -> list[Document]:
    """A case's documents, oldest first (their bytes are not loaded)."""
    return list(
        session.scalars(
            sa.select(Document).where(Document.case_id == case_id).order_by(Document.created_at)
        )
    )


def mail_attachments(session: Session, ids: list[str]) -> list[dict[str, str]]:
    """The documents ``ids`` as a mail's attachments (name, type, base64 content), for
    the delivery of the notification they go with."""
    rows = session.scalars(sa.select(Document).where(Document.id.in_(ids))).all()
    order = {identifier: index for index, identifier in enumerate(ids)}
    return [
        {
            "filename": row.filename,
            "content_type": PDF,
            "content": base64.b64encode(row.content).decode("ascii"),
            "sha256": row.sha256,
        }
        for row in sorted(rows, key=lambda row: order[row.id])
    ]
