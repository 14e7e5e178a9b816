"""The personal space: a citizen's requests, their timeline, messages, reminders, ratings.

Anonymous filers reach the same page through the unguessable tracking link they were
given. Anyone else gets a 404: a case is never shown to someone who is not its citizen.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import load_only

from engine import exchanges, receipts
from engine.documents import case_documents
from engine.errors import Refused
from engine.models import (
    Account,
    Case,
    CaseEvent,
    Document,
    Message,
    Notification,
    Reminder,
    Satisfaction,
)
from engine.workflow import Actor

from ..access import citizen_actor, own_case, tracked_case
from ..downloads import download, pdf_download, pdf_or_503
from ..errors import attempt
from ..extensions import limiter
from ..paging import keyset_page
from ..params import int_arg, parse_int
from ..services import db, services
from ..wording import state_label
from .actions import what_was_asked

bp = Blueprint("space", __name__, template_folder="templates")


@bp.route("/mes-demandes")
@login_required
def requests():
    if current_user.kind != "citizen":
        abort(404)
    session = db()
    mine = Case.owner_id == current_user.id
    where = {
        "drafts": Case.submitted_at.is_(None),
        "open": sa.and_(Case.submitted_at.is_not(None), Case.closed_at.is_(None)),
        "closed": Case.closed_at.is_not(None),
    }
    # the three counts in one statement, then one page of each group: only the columns
    # the page shows, never the answers, whatever the number of cases
    counts = session.execute(
        sa.select(*(sa.func.count().filter(condition) for condition in where.values())).where(mine)
    ).one()
    shown = (
        Case.id,
        Case.version_id,
        Case.reference,
        Case.state,
        Case.submitted_at,
        Case.created_at,
        Case.closed_at,
    )
    after = {key: int_arg(f"after_{key}") for key in where}
    groups, more = {}, {}
    for key, condition in where.items():
        page = keyset_page(
            session,
            sa.select(Case).options(load_only(*shown)).where(mine, condition),
            Case.id,
            after[key],
            size=REQUESTS_PAGE_SIZE,
        )
        groups[key], more[key] = page.rows, page.next_after
    return render_template(
        "space/requests.html",
        groups=groups,
        counts=dict(zip(where, counts, strict=True)),
        more=more,
        after=after,
        view=case_view,
    )


#: rows of each group of "Mes demandes" a page shows
REQUESTS_PAGE_SIZE = 20


def case_view(case: Case) -> dict:
    """What the templates show of a case: titles and labels in the current language."""
    from ..language import text

    state = services()
    compiled = state.runtime.catalogue.compiled(db(), case.version_id)
    procedure = compiled.procedure
    workflow = procedure.workflow
    label = state_label(workflow, case.state, _("Draft"))
    return {
        "case": case,
        "procedure": procedure,
        "title": text(procedure.title),
        "state": label,
        "compiled": compiled,
    }


def _detail(case: Case, token: str | None = None):
    session = db()
    view = case_view(case)
    workflow = view["procedure"].workflow
    events = list(
        session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )
    messages = list(
        session.scalars(sa.select(Message).where(Message.case_id == case.id).order_by(Message.id))
    )
    notifications = list(
        session.scalars(
            sa.select(Notification)
            .where(Notification.case_id == case.id, Notification.audience == "citizen")
            .order_by(Notification.id.desc())
        )
    )
    reminders = session.scalar(
        sa.select(sa.func.count()).select_from(Reminder).where(Reminder.case_id == case.id)
    )
    rated = session.get(Satisfaction, case.id)
    from engine.models import Attachment

    files = list(
        session.scalars(
            sa.select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.created_at)
        )
    )
    actions = []
    if case.state and not case.closed_at:
        compiled = view["compiled"]
        actions = [
            workflow.transition(t)
            for t in compiled.triggers(case.state)
            if workflow.transition(t).actor == "citizen"
        ]
    return render_template(
        "space/case.html",
        view=view,
        events=events,
        messages=messages,
        notifications=notifications,
        reminders=reminders,
        rated=rated,
        actions=actions,
        asked=what_was_asked(case, view["compiled"]) if actions else [],
        token=token,
        state_label=functools.partial(state_label, workflow),
        files=files,
        documents=case_documents(session, case.id),
        receipt=not case.is_draft,
        decision=receipts.implicit_decision(session, services().runtime, view["compiled"], case),
    )


@bp.route("/mes-demandes/<int:case_id>")
@login_required
def case(case_id: int):
    return _detail(own_case(case_id))


@bp.route("/suivi/<token>")
def tracking(token: str):
    return _detail(tracked_case(token), token)


def _target(case_id: int | None, token: str | None) -> tuple[Case, Actor, str]:
    if token:
        case = tracked_case(token)
        return case, citizen_actor(case, token), url_for("space.tracking", token=token)
    if not current_user.is_authenticated:
        abort(404)
    case = own_case(case_id)
    return case, citizen_actor(case), url_for("space.case", case_id=case_id)


def _exchange(case_id: int | None, token: str | None, operation):
    case, actor, back = _target(case_id, token)
    attempt(lambda: operation(db(), case, actor), {Refused: _refusal_text})
    return redirect(back)


def _refusal_text(refusal: Refused) -> str:
    return {
        "rate": _("You already sent a reminder in the last 24 hours. The department has it."),
        "form": _("Write a message of 1 to 5,000 characters."),
        "state": _("This action is not possible at this stage of the request."),
    }.get(refusal.reason, _("This action is not possible."))


@bp.route("/mes-demandes/<int:case_id>/message", methods=["POST"])
@bp.route("/suivi/<token>/message", methods=["POST"])
@limiter.limit(lambda: current_app.config["MESSAGE_RATE_LIMIT"])
def message(case_id: int | None = None, token: str | None = None):
    body = request.form.get("body", "")

    def post(session, case, actor):
        exchanges.post_message(session, services().runtime, case, actor, services().clock, body)
        flash(_("Your message is sent to the department."), "success")

    return _exchange(case_id, token, post)


@bp.route("/mes-demandes/<int:case_id>/relance", methods=["POST"])
@bp.route("/suivi/<token>/relance", methods=["POST"])
def reminder(case_id: int | None = None, token: str | None = None):
    def post(session, case, actor):
        exchanges.remind(
            session,
            services().runtime,
            case,
            actor,
            services().clock,
            request.form.get("comment", ""),
        )
        flash(_("Your reminder is sent to the department."), "success")

    return _exchange(case_id, token, post)


@bp.route("/mes-demandes/<int:case_id>/satisfaction", methods=["POST"])
@bp.route("/suivi/<token>/satisfaction", methods=["POST"])
def satisfaction(case_id: int | None = None, token: str | None = None):
    rating = parse_int(request.form.get("rating", "").strip(), 1, 5)
    if rating is None:
        case, _actor, back = _target(case_id, token)
        flash(_("Choose a rating from 1 to 5."), "error")
        return redirect(back)

    def post(session, case, actor):
        exchanges.rate(
            session, case, actor, services().clock, rating, request.form.get("comment", "")
        )
        flash(_("Thank you for your opinion."), "success")

    return _exchange(case_id, token, post)


@bp.route("/mes-demandes/<int:case_id>/pieces/<attachment_id>")
@bp.route("/suivi/<token>/pieces/<attachment_id>")
def attachment(attachment_id: str, case_id: int | None = None, token: str | None = None):
    """A file of the citizen's own case, always as a download, never shown inline."""

    from engine.models import Attachment

    if token:
        case = tracked_case(token)
    else:
        if not current_user.is_authenticated:
            abort(404)
        case = own_case(case_id)
    item = db().get(Attachment, attachment_id)
    if item is None or item.case_id != case.id:
        abort(404)
    return download(item)


def _citizen_case(case_id: int | None, token: str | None) -> Case:
    """The case of the signed-in citizen, or behind the tracking link; else 404."""
    if token:
        return tracked_case(token)
    if not current_user.is_authenticated:
        abort(404)
    return own_case(case_id)


@bp.route("/mes-demandes/<int:case_id>/accuse-de-reception.pdf")
@bp.route("/suivi/<token>/accuse-de-reception.pdf")
def receipt_pdf(case_id: int | None = None, token: str | None = None):
    """The acknowledgement of receipt as a PDF, always as a download."""
    case = _citizen_case(case_id, token)
    if case.is_draft:
        abort(404)
    runtime = services().runtime
    compiled = runtime.catalogue.compiled(db(), case.version_id)
    data = pdf_or_503(lambda: receipts.receipt_pdf(receipts.receipt_of(runtime, compiled, case)))
    return pdf_download(data, f"accuse-de-reception-{case.reference}.pdf")


@bp.route("/mes-demandes/<int:case_id>/attestation-decision-implicite.pdf")
@bp.route("/suivi/<token>/attestation-decision-implicite.pdf")
def certificate_pdf(case_id: int | None = None, token: str | None = None):
    """The certificate of the implicit decision (CRPA L232-3) as a PDF, once the legal
    clock ran out on a procedure whose silence means acceptance or rejection; else 404."""
    case = _citizen_case(case_id, token)
    runtime = services().runtime
    compiled = runtime.catalogue.compiled(db(), case.version_id)
    decision = receipts.implicit_decision(db(), runtime, compiled, case)
    if decision is None:
        abort(404)
    receipt = receipts.receipt_of(runtime, compiled, case)
    data = pdf_or_503(lambda: receipts.certificate_pdf(receipt, decision))
    return pdf_download(data, f"attestation-decision-implicite-{case.reference}.pdf")


@bp.route("/mes-demandes/<int:case_id>/documents/<document_id>")
@bp.route("/suivi/<token>/documents/<document_id>")
def document(document_id: str, case_id: int | None = None, token: str | None = None):
    """A document the town hall wrote for the citizen's case, as a download."""
    case = _citizen_case(case_id, token)
    found = db().get(Document, document_id)
    if found is None or found.case_id != case.id:
        abort(404)
    return pdf_download(found.content, found.filename)


@bp.route("/mes-notifications")
@login_required
def notifications():
    if current_user.kind != "citizen":
        abort(404)
    items = list(
        db().scalars(
            sa.select(Notification)
            .where(Notification.account_id == current_user.id)
            .order_by(Notification.id.desc())
            .limit(100)
        )
    )
    return render_template("space/notifications.html", notifications=items)


@bp.route("/mon-profil", methods=["GET", "POST"])
@login_required
def profile():
    session = db()
    account = session.get(Account, current_user.id)
    if request.method == "POST":
        account.name = request.form.get("name", account.name).strip()[:200]
        account.profile = {
            key: request.form.get(key, "").strip()[:300]
            for key in ("given_name", "family_name", "phone", "birthdate")
            if request.form.get(key, "").strip()
        }
        account.prefill_consent = request.form.get("prefill_consent") == "yes"
        session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("space.profile"))
    from engine.models import ExternalIdentity

    franceconnect = session.scalars(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.account_id == account.id,
            ExternalIdentity.provider == "franceconnect",
        )
    ).first()
    return render_template("space/profile.html", account=account, franceconnect=franceconnect)
