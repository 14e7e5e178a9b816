"""The console's audit log: who did what, filtered by account or case, a page at a time."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    render_template,
    request,
)

from engine.models import (
    Account,
    AuditEvent,
)

from ..accounts import (
    find_account,
)
from ..paging import keyset_page
from ..params import int_arg
from ..services import db
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
    case_id = int_arg("case", 1)
    if case_id is not None:
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
    emails = dict(
        session.execute(
            sa.select(Account.id, Account.email).where(
                Account.id.in_({r.account_id for r in rows if r.account_id})
            )
        ).all()
    )
    return render_template(
        "console/audit.html",
        rows=rows,
        emails=emails,
        next_after=page.next_after,
        filters=filters,
    )
