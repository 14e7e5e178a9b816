"""The back office: the agents' inbox, case page, bulk action and filing on behalf.

Staff only see the cases of their departments: any other case is a 404, as for citizens.
Reading a case is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

import renderers
from engine import cases, exchanges
from engine.errors import Conflict, EngineError, InvalidValues, Refused
from engine.models import (
    Account,
    Attachment,
    Case,
    CaseEvent,
    InternalNote,
    Membership,
    Message,
    Reminder,
    Timer,
)
from engine.workflow import may_act

from .. import uploads
from ..access import remember_draft, staff_case, staff_required
from ..audit import audit
from ..display import answer_rows
from ..errors import attempt
from ..helpers import current_language, download, int_arg, parse_int, text
from ..services import db, services
from ..translations import form_translations
from ..wording import state_label

bp = Blueprint("backoffice", __name__, url_prefix="/agents", template_folder="templates")
PAGE_SIZE = 50
#: The furthest ahead the inbox looks for legal deadlines (``expiring``, in days).
MAX_DAYS = 3660


def of_case(model, case_id: int, *where, order=None) -> list:
    """The rows of ``model`` about one case, oldest first (or in ``order``)."""
    query = sa.select(model).where(model.case_id == case_id, *where)
    return list(db().scalars(query.order_by(order if order is not None else model.id)))


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
    after = int_arg("after")
    if after is not None:  # keyset pagination on the id, in the chosen order
        query = query.where(Case.id > after if oldest_first else Case.id < after)
    order = Case.id.asc() if oldest_first else Case.id.desc()
    rows = list(session.scalars(query.order_by(order).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
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
        more=more,
        next_after=rows[-1].id if rows else None,
        filters=filters,
        procedures=[v.slug for v in catalogue.published(session)],
    )


@bp.route("/dossiers/<int:case_id>")
@staff_required
def case(case_id: int):
    session = db()
    item = staff_case(case_id)
    compiled = services().runtime.catalogue.compiled(session, item.version_id)
    procedure = compiled.procedure
    audit("read", item)
    session.commit()
    workflow = procedure.workflow
    who = current_user.actor
    transitions = [
        workflow.transition(t)
        for t in compiled.triggers(item.state)
        if not item.closed_at
        and may_act(
            workflow.transition(t),
            who,
            department=item.department,
            owner_id=item.owner_id,
            tracking_token=item.tracking_token,
        )
    ]
    sections = [
        (page, answer_rows(page.fields, item.answers, procedure)) for page in procedure.form.pages
    ]
    others = []
    if item.owner_id is not None:
        others = list(
            session.scalars(
                sa.select(Case)
                .where(
                    Case.owner_id == item.owner_id,
                    Case.id != item.id,
                    Case.submitted_at.is_not(None),
                )
                .order_by(Case.id.desc())
            )
        )

    def summary(other: Case) -> dict:
        """The 360° view: every other case of the citizen, across procedures; only those of
        the agent's departments can be opened."""
        other_procedure = catalogue.compiled(session, other.version_id).procedure
        site = services().runtime.site
        department = site.departments.get(other.department) if site else None
        return {
            "case": other,
            "title": text(other_procedure.title),
            "state": state_label(other_procedure.workflow, other.state),
            "open": other.department in current_user.departments,
            "department": text(department.name) if department else other.department,
        }

    catalogue = services().runtime.catalogue
    return render_template(
        "backoffice/case.html",
        case=item,
        procedure=procedure,
        sections=sections,
        transitions=transitions,
        events=of_case(CaseEvent, item.id),
        notes=of_case(InternalNote, item.id),
        messages=of_case(Message, item.id),
        reminders=of_case(Reminder, item.id),
        timers=of_case(Timer, item.id, Timer.status == "pending", order=Timer.due_at),
        files=list(session.scalars(sa.select(Attachment).where(Attachment.case_id == item.id))),
        colleagues=list(
            session.scalars(
                sa.select(Account)
                .join(Membership)
                .where(Membership.department == item.department, Account.active.is_(True))
                .order_by(Account.name)
            )
        ),
        others=[summary(other) for other in others],
        state_label=functools.partial(state_label, workflow),
        transition_label=lambda t: text(workflow.transition(t).label) or t,
    )


@bp.route("/dossiers/<int:case_id>/transitions/<transition_id>", methods=["GET", "POST"])
@staff_required
def transition(case_id: int, transition_id: str):
    session = db()
    item = staff_case(case_id)
    compiled = services().runtime.catalogue.compiled(session, item.version_id)
    step = compiled.transition(transition_id)
    if step is None:
        abort(404)
    cls = renderers.transition_form(compiled.procedure, step, language=current_language())
    state = services()
    formdata = (
        CombinedMultiDict([request.form, request.files]) if request.method == "POST" else None
    )
    form = cls(
        formdata,
        answers=item.answers,
        today=state.runtime.calendar.today(state.clock.now()),
        translations=form_translations(),
    )
    if (
        request.method == "POST"
        and not form.group_action
        and form.validate()
        and not uploads.over_limits(item, form, renderers.answers_from(form), draft=False)
    ):
        expected = int_arg("version", source=request.form, default=item.lock_version)
        # the files are written only once the transition is allowed and done
        staged = uploads.stage(item, form, renderers.answers_from(form))

        def fire() -> None:
            cases.fire(
                session,
                state.runtime,
                item,
                transition_id,
                current_user.actor,
                state.clock,
                values=staged.values,
                expected_version=expected,
            )
            audit("transition", item, transition=transition_id)

        refused = attempt(
            fire,
            {
                Conflict: _(
                    "Someone else changed this request meanwhile: here it is as it is now."
                ),
                InvalidValues: _("The form is not complete."),
                Refused: lambda refusal: _(
                    "This action is not possible now (%(reason)s).", reason=refusal.reason
                ),
            },
            commit=staged.commit,
        )
        back = redirect(url_for("backoffice.case", case_id=case_id))
        if isinstance(refused, Conflict):
            return back, 303
        if refused is None:
            flash(_("Done: %(action)s.", action=text(step.label) or step.id), "success")
        if not isinstance(refused, InvalidValues):
            return back
    return render_template(
        "backoffice/transition.html", case=item, step=step, form=form, procedure=compiled.procedure
    ), (422 if request.method == "POST" and form.error_items() else 200)


@bp.route("/dossiers/<int:case_id>/note", methods=["POST"])
@staff_required
def note(case_id: int):
    item = staff_case(case_id)
    body = request.form.get("body", "").strip()[:5000]
    if body:
        db().add(
            InternalNote(
                case_id=item.id,
                author_id=current_user.id,
                body=body,
                created_at=services().clock.now(),
            )
        )
        audit("note", item)
        db().commit()
    return redirect(url_for("backoffice.case", case_id=case_id) + "#notes")


@bp.route("/dossiers/<int:case_id>/message", methods=["POST"])
@staff_required
def message(case_id: int):
    item = staff_case(case_id)

    def post() -> None:
        exchanges.post_message(
            db(),
            services().runtime,
            item,
            current_user.actor,
            services().clock,
            request.form.get("body", ""),
        )
        audit("message", item)

    if attempt(post, {Refused: _("Write a message of 1 to 5,000 characters.")}) is None:
        flash(_("Your message is sent to the citizen."), "success")
    return redirect(url_for("backoffice.case", case_id=case_id) + "#messages")


@bp.route("/dossiers/<int:case_id>/assign", methods=["POST"])
@staff_required
def assign(case_id: int):
    item = staff_case(case_id)
    session = db()
    target = int_arg("assignee", 1, source=request.form)
    assignee = session.get(Account, target) if target is not None else None
    expected = int_arg("version", source=request.form, default=item.lock_version)

    def assign_it() -> None:
        cases.assign(
            session,
            item,
            assignee,
            current_user.actor,
            services().clock,
            expected_version=expected,
        )
        audit("assign", item, assignee=assignee.id if assignee else None)

    attempt(
        assign_it,
        {(Refused, Conflict): _("The request could not be assigned: reload it and try again.")},
    )
    return redirect(url_for("backoffice.case", case_id=case_id))


@bp.route("/dossiers/<int:case_id>/pieces/<attachment_id>")
@staff_required
def attachment(case_id: int, attachment_id: str):

    item = staff_case(case_id)
    found = db().get(Attachment, attachment_id)
    if found is None or found.case_id != item.id:
        abort(404)
    audit("download", item, attachment=found.id)
    db().commit()
    return download(found)


CHANNELS = ("counter", "phone", "mail")


@bp.route("/depot", methods=["GET", "POST"])
@staff_required
def on_behalf():
    """Filing a procedure for a citizen who came to the counter, phoned or wrote."""
    from ..accounts import find_account
    from ..helpers import visible_pages

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
