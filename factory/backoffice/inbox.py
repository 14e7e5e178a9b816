"""The back office: its blueprint, the agents' inbox and filing on behalf of a citizen.
The case page (``case_page.py``) and the inbox's actions (``inbox_actions.py``: taking a
case, the bulk action, saved filters) add their views to the same blueprint.

Staff only see the cases of their departments: any other case is a 404, as for citizens.
The inbox's tabs are counted exactly, with the same conditions as their lists
(``engine.inbox``); the page runs the same few statements whatever it shows.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import cases, saved_filters
from engine import inbox as queries

from ..access import remember_draft, staff_required
from ..audit import audit
from ..language import text
from ..params import int_arg, parse_int
from ..services import db, services
from ..wording import state_label
from .inbox_rows import bulk_transitions, describe

bp = Blueprint("backoffice", __name__, url_prefix="/agents", template_folder="templates")
PAGE_SIZE = queries.PAGE_SIZE
#: The furthest ahead the inbox looks for legal deadlines (``expiring``, in days).
MAX_DAYS = 3660
#: The query-string keys an inbox address (and a saved filter) is made of.
FILTER_KEYS = (
    "tab",
    "q",
    "procedure",
    "state",
    "assigned",
    "channel",
    "expiring",
    "overdue",
    "sort",
    "order",
)
#: What narrows the tab (the panel of filters opens when one is set).
NARROWING = ("q", "procedure", "state", "assigned", "channel", "expiring", "overdue")


def current_filters(args) -> dict[str, str]:
    """The inbox's own keys of ``args``, non-empty, in a stable order."""
    return {key: args[key].strip() for key in FILTER_KEYS if (args.get(key) or "").strip()}


def filters_query(args) -> str:
    """The query string that reopens the inbox as ``args`` show it (what a filter saves)."""
    return urlencode(current_filters(args))


def scope_of(published: list) -> queries.Scope:
    """The signed-in agent's scope; the states the citizen acts in come from the published
    workflows (compiled once per version and kept: no statement per procedure)."""
    catalogue = services().runtime.catalogue
    session = db()
    waiting = {}
    for row in published:
        workflow = catalogue.compiled(session, row.id).procedure.workflow
        waiting[row.slug] = frozenset(s.id for s in workflow.states if s.owner == "citizen")
    return queries.Scope(current_user.id, frozenset(current_user.departments), waiting)


def read_filters(now: dt.datetime) -> queries.Filters:
    args = request.args
    expiring = int_arg("expiring", 0, MAX_DAYS)
    return queries.Filters(
        procedure=args.get("procedure") or None,
        state=args.get("state") or None,
        channel=args.get("channel") or None,
        assigned=args.get("assigned") if args.get("assigned") in ("me", "none") else None,
        overdue=bool(args.get("overdue")),
        expiring_before=now + dt.timedelta(days=expiring) if expiring is not None else None,
        search=(args.get("q") or "").strip()[:200],
    )


def read_cursor() -> queries.Cursor | None:
    """Where the page starts: a cursor of the inbox's own links, or none. A bare case id
    (the inbox's former addresses) starts at the first page; anything else is a 400, as any
    malformed number of a query string."""
    raw = request.args.get("after") or ""
    if not raw:
        return None
    cursor = queries.Cursor.decode(raw)
    if cursor is None and parse_int(raw) is None:
        abort(400)
    return cursor


def read_order() -> tuple[str, bool]:
    """The sort key and whether it runs from the newest (``sort=oldest``: the former
    addresses' oldest first)."""
    sort = request.args.get("sort", "filed")
    if sort == "oldest":
        return "filed", False
    if sort not in queries.SORTS:
        sort = "filed"
    default = "asc" if sort == "deadline" else "desc"
    return sort, request.args.get("order", default) != "asc"


@bp.route("/")
@staff_required
def inbox():
    session = db()
    state = services()
    now = state.clock.now()
    catalogue = state.runtime.catalogue
    published = catalogue.published(session)
    scope = scope_of(published)
    tab = request.args.get("tab", "todo")
    tab = tab if tab in queries.TABS else "todo"
    filters = read_filters(now)
    sort, descending = read_order()
    counts = queries.counts(session, scope, filters, now)
    rows, following = queries.page(
        session,
        scope,
        tab,
        filters,
        now,
        sort=sort,
        descending=descending,
        cursor=read_cursor(),
    )
    today = state.runtime.calendar.today(now)
    lines = [describe(row, catalogue.compiled(session, row.case.version_id), today) for row in rows]
    procedures = [(row, catalogue.compiled(session, row.id).procedure) for row in published]
    shown = current_filters(request.args)
    return render_template(
        "backoffice/inbox.html",
        tab=tab,
        tabs=[(name, counts[name]) for name in queries.TABS],
        tab_count=counts[tab],
        lines=lines,
        next_after=following.encode() if following else None,
        filters=shown,
        narrowed=any(key in shown for key in NARROWING),
        sort=sort,
        descending=descending,
        procedures=[(row.slug, text(p.title)) for row, p in procedures],
        states=[
            (text(p.title), [(s.id, state_label(p.workflow, s.id)) for s in p.workflow.states])
            for _, p in procedures
        ],
        transitions=bulk_transitions(procedures, current_user),
        saved=saved_filters.of_account(session, current_user.id),
        query=filters_query(request.args),
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
    chosen_channel = request.args.get("channel") if request.method == "GET" else None
    return render_template(
        "backoffice/on_behalf.html",
        procedures=procedures,
        error=error,
        channels=CHANNELS,
        chosen_channel=chosen_channel,
    ), (422 if error else 200)
