"""The console's audit log: who did what, filtered by account or case, a page at a time."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import (
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.models import (
    Account,
    AuditEvent,
    Case,
)

from ..accounts import (
    find_account,
)
from ..language import text
from ..paging import keyset_page
from ..params import int_arg
from ..services import db, services
from ..wording import account_kind, department_name, staff_word
from . import views
from .views import admin_required, bp

# -- audit log ---------------------------------------------------------------------------------


@bp.route("/journal")
@admin_required
def audit_log():
    session = db()
    args = request.args
    query = sa.select(AuditEvent)
    filters = {}
    wanted = args.get("case", "").strip()[:100]
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", wanted):  # a reference, as the log shows it
        filters["case"] = wanted
        found = session.scalar(sa.select(Case.id).where(Case.reference == wanted.upper()))
        query = query.where(AuditEvent.case_id == (found or -1))
    elif (case_id := int_arg("case", 1)) is not None:
        query = query.where(AuditEvent.case_id == case_id)
        filters["case"] = str(case_id)
    account = args.get("account", "").strip()
    if account:
        filters["account"] = account
        if account.isascii() and account.isdigit():  # an id (else an e-mail address)
            query = query.where(AuditEvent.account_id == int_arg("account", 1))
        else:
            found = find_account(session, account)
            query = query.where(AuditEvent.account_id == (found.id if found else -1))
    # newest first, then older ids
    page = keyset_page(session, query, AuditEvent.id, int_arg("after"), size=views.PAGE_SIZE)
    rows = page.rows
    mentioned = {r.account_id for r in rows if r.account_id}
    for row in rows:
        for key in ("account", "assignee"):
            value = (row.detail or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                mentioned.add(value)
    emails = dict(
        session.execute(sa.select(Account.id, Account.email).where(Account.id.in_(mentioned))).all()
    )
    cases = {
        case.id: case
        for case in session.scalars(
            sa.select(Case).where(Case.id.in_({r.case_id for r in rows if r.case_id}))
        )
    }
    return render_template(
        "console/audit.html",
        rows=rows,
        emails=emails,
        references={key: case.reference or _("draft") for key, case in cases.items()},
        details={row.id: _details(session, row, cases.get(row.case_id), emails) for row in rows},
        next_after=page.next_after,
        filters=filters,
    )


#: What the keys of an audit event's detail are called.
DETAIL_WORDS = {
    "account": _l("account"),
    "assignee": _l("assigned to"),
    "kind": _l("kind"),
    "departments": _l("departments"),
    "before": _l("before"),
    "after": _l("after"),
    "transition": _l("action"),
    "attachment": _l("file"),
    "channel": _l("channel"),
    "bulk": _l("in bulk"),
    "procedure": _l("procedure"),
    "version": _l("version"),
    "problems": _l("problems"),
    "connector": _l("connector"),
    "messages": _l("messages"),
}


def _procedure_title(session, slug: Any) -> str:
    version = services().runtime.catalogue.current(session, str(slug))
    if version is None:
        return str(slug)
    return text(services().runtime.catalogue.compiled(session, version.id).procedure.title)


def _transition_label(session, case: Case | None, transition: Any) -> str:
    if case is None:
        return str(transition)
    workflow = services().runtime.catalogue.compiled(session, case.version_id).procedure.workflow
    try:
        return text(workflow.transition(str(transition)).label) or str(transition)
    except KeyError:
        return str(transition)


def _details(session, row: AuditEvent, case: Case | None, emails: dict) -> list[tuple[str, str]]:
    """An audit event's detail in words: accounts by e-mail, departments, procedures and
    actions by their names, kinds and channels in words."""
    shown = []
    for key, value in (row.detail or {}).items():
        if key in ("account", "assignee"):
            value = emails.get(value, "—") if value is not None else "—"
        elif key in ("departments", "before", "after") and isinstance(value, list):
            value = ", ".join(department_name(d) for d in value) or "—"
        elif key == "kind":
            value = account_kind(value)
        elif key == "channel":
            value = staff_word(value)
        elif key == "procedure":
            value = _procedure_title(session, value)
        elif key == "transition":
            value = _transition_label(session, case, value)
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        shown.append((str(DETAIL_WORDS.get(key, key)), str(value)))
    return shown
