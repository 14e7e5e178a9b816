"""The back office's case page: reading a case (written to the audit log), firing a
transition, internal notes, messages to the filer, assignment, and downloading a piece.

Staff only see the cases of their departments: any other case is a 404, as for citizens.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import load_only
from werkzeug.datastructures import CombinedMultiDict

import renderers
from engine import cases, exchanges, timeline
from engine.documents import case_documents
from engine.errors import Conflict, InvalidValues, Refused
from engine.models import (
    Account,
    Attachment,
    Case,
    Document,
    InternalNote,
    Membership,
    Timer,
)
from engine.workflow import may_act

from .. import uploads
from ..access import staff_case, staff_required
from ..audit import audit
from ..downloads import download, pdf_download
from ..errors import attempt
from ..language import current_language, text
from ..paging import keyset_page
from ..params import int_arg
from ..services import db, services
from ..translations import form_translations
from ..wording import state_label
from . import case_view
from .inbox import bp


def of_case(model, case_id: int, *where, order=None) -> list:
    """The rows of ``model`` about one case, oldest first (or in ``order``)."""
    query = sa.select(model).where(model.case_id == case_id, *where)
    return list(db().scalars(query.order_by(order if order is not None else model.id)))


#: the 360° list: how many other cases of the citizen a page shows, and what it reads of them
OTHERS_PAGE_SIZE = 20
OTHER_COLUMNS = (
    Case.id,
    Case.version_id,
    Case.reference,
    Case.state,
    Case.department,
    Case.submitted_at,
)


@bp.route("/dossiers/<int:case_id>")
@staff_required
def case(case_id: int):
    session = db()
    item = staff_case(case_id)
    state = services()
    catalogue = state.runtime.catalogue
    compiled = catalogue.compiled(session, item.version_id)
    procedure = compiled.procedure
    workflow = procedure.workflow
    who = current_user.actor
    now = state.clock.now()
    transitions = [
        case_view.action(procedure, workflow.transition(t))
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
    # what is unread is read before this visit marks everything read
    entries = timeline.timeline(session, item, current_user.id)
    timeline.mark_read(session, current_user.id, item, now)
    audit("read", item)
    session.commit()
    files = {
        piece.id: piece
        for piece in session.scalars(
            sa.select(Attachment)
            .where(Attachment.case_id == item.id)
            .order_by(Attachment.created_at)
        )
    }
    others, others_next = [], None
    if item.owner_id is not None:
        # one page of the citizen's other cases, and only the columns the list shows
        page = keyset_page(
            session,
            sa.select(Case)
            .options(load_only(*OTHER_COLUMNS))
            .where(
                Case.owner_id == item.owner_id,
                Case.id != item.id,
                Case.submitted_at.is_not(None),
            ),
            Case.id,
            int_arg("others_after"),
            size=OTHERS_PAGE_SIZE,
        )
        others, others_next = page.rows, page.next_after

    def summary(other: Case) -> dict:
        """The 360° view: the other cases of the citizen, across procedures, a page at a
        time; only those of the agent's departments can be opened."""
        other_procedure = catalogue.compiled(session, other.version_id).procedure
        return {
            "case": other,
            "title": text(other_procedure.title),
            "state": state_label(other_procedure.workflow, other.state),
            "open": other.department in current_user.departments,
            "department": case_view.department_name(other.department),
            "filed": case_view.day(other.submitted_at),
        }

    people = {
        account.id: account
        for account in session.scalars(
            sa.select(Account).where(Account.id.in_({item.owner_id, item.assignee_id} - {None}))
        )
    }
    lines = case_view.timeline_lines(entries, procedure)
    return render_template(
        "backoffice/case.html",
        case=item,
        procedure=procedure,
        requester=people.get(item.owner_id),
        assignee=people.get(item.assignee_id),
        department=case_view.department_name(item.department),
        state=state_label(workflow, item.state),
        filed=case_view.moment(item.submitted_at),
        clock=case_view.due(item.clock_expires_at, now) if item.clock_expires_at else None,
        paused=case_view.day(item.clock_paused_at) if item.clock_paused_at else None,
        sections=case_view.answer_sections(procedure, item.answers, files, item.prefilled),
        files=list(files.values()),
        documents=case_documents(session, item.id),
        transitions=transitions,
        timeline=lines,
        unread=sum(1 for line in lines if line.unread),
        timers=[
            (
                timer,
                case_view.due(timer.due_at, now),
                text(workflow.transition(timer.transition).label)
                if timer.transition and compiled.transition(timer.transition)
                else "",
            )
            for timer in of_case(Timer, item.id, Timer.status == "pending", order=Timer.due_at)
            if timer.kind != "clock_expiry"  # the legal deadline, shown above
        ],
        colleagues=list(
            session.scalars(
                sa.select(Account)
                .join(Membership)
                .where(Membership.department == item.department, Account.active.is_(True))
                .order_by(Account.name)
            )
        ),
        others=[summary(other) for other in others],
        retention_days=procedure.retention_days,
        others_next=others_next,
        moment=case_view.moment,
        day=case_view.day,
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
    fired, refused = uploads.fire_with_files(
        item,
        form,
        transition_id,
        current_user.actor,
        {
            Conflict: _("Someone else changed this request meanwhile: here it is as it is now."),
            InvalidValues: _("The form is not complete."),
            Refused: lambda refusal: _(
                "This action is not possible now (%(reason)s).", reason=refusal.reason
            ),
        },
        then=lambda: audit("transition", item, transition=transition_id),
    )
    if fired:
        back = redirect(url_for("backoffice.case", case_id=case_id))
        if isinstance(refused, Conflict):
            return back, 303
        if refused is None:
            flash(_("Done: %(action)s.", action=text(step.label) or step.id), "success")
        if not isinstance(refused, InvalidValues):
            return back
    return render_template(
        "backoffice/transition.html",
        case=item,
        step=step,
        form=form,
        procedure=compiled.procedure,
        action=case_view.action(compiled.procedure, step),
        state=state_label(compiled.procedure.workflow, item.state),
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


@bp.route("/dossiers/<int:case_id>/documents/<document_id>")
@staff_required
def document(case_id: int, document_id: str):
    """A document the workflow wrote for the case, as a download."""
    item = staff_case(case_id)
    found = db().get(Document, document_id)
    if found is None or found.case_id != item.id:
        abort(404)
    audit("download", item, document=found.id)
    db().commit()
    return pdf_download(found.content, found.filename)


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
