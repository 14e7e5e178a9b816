"""The back office: its blueprint, the agents' inbox, the bulk action and filing on behalf.
The case page and its actions (``case_page.py``) add their views to the same blueprint.

Staff only see the cases of their departments: any other case is a 404, as for citizens.
Reading a case is written to the audit log.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import cases
from engine.errors import Conflict, EngineError, InvalidValues, Refused
from engine.models import (
    Account,
    Case,
    Timer,
)

from ..access import remember_draft, staff_required
from ..audit import audit
from ..language import text
from ..paging import keyset_page
from ..params import int_arg, parse_int
from ..services import db, services
from ..wording import state_label

bp = Blueprint("backoffice", __name__, url_prefix="/agents", template_folder="templates")
PAGE_SIZE = 50
#: The furthest ahead the inbox looks for legal deadlines (``expiring``, in days).
MAX_DAYS = 3660


def search_condition(search: str):
    """A reference or a name by its beginning, or an e-mail address in full (any case):
    each side uses an index (see migration 0006) and they are joined with a UNION, so
    that neither the cases nor the accounts are scanned."""
    if "@" in search:
        owners = sa.select(Account.id).where(Account.email == search)
        return Case.owner_id.in_(owners)
    prefix = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    owners = sa.select(Account.id).where(sa.func.lower(Account.name).like(prefix, escape="\\"))
    matching = sa.union(
        sa.select(Case.id).where(sa.func.lower(Case.reference).like(prefix, escape="\\")),
        sa.select(Case.id).where(Case.owner_id.in_(owners)),
    )
    return Case.id.in_(matching)


def state_counters(departments: list[str]):
    """Open cases per procedure and state in ``departments``, as the worker last counted
    them (rollups): the inbox never counts a million rows in a request.

    Returns ``([(procedure slug, procedure title, state id, state label, count)], when)``.
    """
    from engine.models import Rollup

    session = db()
    rows = list(
        session.scalars(
            sa.select(Rollup).where(Rollup.department.in_(departments), Rollup.procedure != "")
        )
    )
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        for state_id, number in (row.data.get("open_by_state") or {}).items():
            totals[(row.procedure, state_id)] = totals.get((row.procedure, state_id), 0) + number
    catalogue = services().runtime.catalogue
    counters = []
    for (slug, state_id), number in sorted(totals.items()):
        version = catalogue.current(session, slug)
        if version is None or not number:
            continue
        workflow = catalogue.compiled(session, version.id).procedure.workflow
        procedure = catalogue.compiled(session, version.id).procedure
        counters.append(
            (slug, text(procedure.title), state_id, state_label(workflow, state_id), number)
        )
    counted_at = max((row.computed_at for row in rows), default=None)
    return counters, counted_at


@bp.route("/")
@staff_required
def inbox():
    session = db()
    mine = sorted(current_user.departments)
    base = sa.select(Case).where(
        Case.submitted_at.is_not(None), Case.closed_at.is_(None), Case.department.in_(mine)
    )
    counters, counted_at = state_counters(mine)
    query = base
    args = request.args
    if args.get("procedure"):
        query = query.where(Case.procedure == args["procedure"])
    if args.get("state"):
        query = query.where(Case.state == args["state"])
    if args.get("assigned") == "me":
        query = query.where(Case.assignee_id == current_user.id)
    elif args.get("assigned") == "none":
        query = query.where(Case.assignee_id.is_(None))
    if args.get("channel"):
        query = query.where(Case.channel == args["channel"])
    if args.get("overdue"):
        now = services().clock.now()
        query = query.where(
            Case.id.in_(
                sa.select(Timer.case_id).where(
                    Timer.status == "pending",
                    Timer.kind.in_(("fire", "clock_expiry")),
                    Timer.due_at < now,
                )
            )
        )
    expiring = int_arg("expiring", 0, MAX_DAYS)
    if expiring is not None:
        limit = services().clock.now() + dt.timedelta(days=expiring)
        query = query.where(Case.clock_expires_at.is_not(None), Case.clock_expires_at <= limit)
    search = (args.get("q") or "").strip().lower()
    if search:
        query = query.where(search_condition(search))
    oldest_first = args.get("sort") == "oldest"
    page = keyset_page(  # on the id, in the chosen order
        session, query, Case.id, int_arg("after"), size=PAGE_SIZE, ascending=oldest_first
    )
    rows = page.rows
    catalogue = services().runtime.catalogue
    labels = {}
    for row in rows:
        procedure = catalogue.compiled(session, row.version_id).procedure
        labels[row.id] = (text(procedure.title), state_label(procedure.workflow, row.state))
    filters = {k: v for k, v in args.items() if k != "after"}
    return render_template(
        "backoffice/inbox.html",
        rows=rows,
        labels=labels,
        counters=counters,
        counted_at=counted_at,
        next_after=page.next_after,
        filters=filters,
        procedures=[v.slug for v in catalogue.published(session)],
    )


CHANNELS = ("counter", "phone", "mail")


@bp.route("/depot", methods=["GET", "POST"])
@staff_required
def on_behalf():
    """Filing a procedure for a citizen who came to the counter, phoned or wrote."""
    from ..accounts import find_account
    from ..answers import visible_pages

    state = services()
    session = db()
    procedures = [
        (row, state.runtime.catalogue.compiled(session, row.id).procedure)
        for row in state.runtime.catalogue.published(session)
    ]
    error = None
    if request.method == "POST":
        slug = request.form.get("procedure", "")
        channel = request.form.get("channel", "")
        email = request.form.get("email", "").strip()
        chosen = next(((row, p) for row, p in procedures if row.slug == slug), None)
        owner = find_account(session, email) if email else None
        if chosen is None or channel not in CHANNELS:
            error = _("Choose a procedure and how the citizen reached you.")
        elif email and (owner is None or owner.kind != "citizen"):
            error = _(
                "No citizen account uses this address: leave it empty to file without "
                "an account (the citizen gets a follow-up link)."
            )
        else:
            row, procedure = chosen
            case = cases.new_draft(
                session,
                state.runtime,
                row,
                current_user.actor,
                state.clock,
                channel=channel,
                owner_id=owner.id if owner else None,
            )
            audit("file_on_behalf", case, channel=channel)
            session.commit()
            remember_draft(case)
            first = visible_pages(procedure, case.answers)[0]
            return redirect(url_for("filing.page", case_id=case.id, page_id=first.id))
    return render_template(
        "backoffice/on_behalf.html", procedures=procedures, error=error, channels=CHANNELS
    ), (422 if error else 200)


@bp.route("/lot", methods=["POST"])
@staff_required
def bulk():
    """Fire one transition on the selected cases; each is checked on its own."""
    state = services()
    session = db()
    transition_id = request.form.get("transition", "")
    results = []
    for raw in request.form.getlist("case")[:500]:
        number = parse_int(raw, 1)
        item = session.get(Case, number) if number is not None else None
        if item is None or item.is_draft or item.department not in current_user.departments:
            results.append((raw, False, _("not found in your departments")))
            continue
        try:
            with session.begin_nested():
                cases.fire(
                    session,
                    state.runtime,
                    item,
                    transition_id,
                    current_user.actor,
                    state.clock,
                    values={},
                )
                audit("transition", item, transition=transition_id, bulk=True)
            results.append((item.reference, True, ""))
        except InvalidValues:
            results.append(
                (
                    item.reference,
                    False,
                    _("this action needs its form: do it on the request's page"),
                )
            )
        except Refused as refusal:
            reasons = {
                "state": _("not possible in its current state"),
                "actor": _("not yours to do"),
                "guard": _("its condition does not hold"),
            }
            results.append((item.reference, False, reasons.get(refusal.reason, str(refusal))))
        except Conflict:
            results.append((item.reference, False, _("changed by someone else meanwhile")))
        except EngineError as error:
            results.append((item.reference, False, str(error)))
    session.commit()
    return render_template("backoffice/bulk.html", results=results, transition=transition_id)
