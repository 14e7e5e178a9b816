"""Filing a procedure: one page at a time, drafts saved as they go, a review, the receipt.

The blueprint ``filing`` is defined here; the start and the drafts (``drafts.py``) and the
citizen's actions (``actions.py``) add their views to it. Only the draft's filer reaches its
pages: anyone else gets a 404 (``factory.access``). Every POST carries the CSRF token
(CSRFProtect), answers are validated by the page's form and, on submit, by the engine
against the version's compiled schema.
"""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

import renderers
from definitions.model import Page, Procedure
from engine import cases, receipts
from engine.errors import Conflict, EngineError, InvalidValues
from engine.models import Case
from engine.workflow import Actor

from .. import uploads
from ..access import (
    draft_case,
    may_delete,
    may_fill,
    remember_draft,
)
from ..answers import visible_pages
from ..extensions import limiter
from ..language import current_language
from ..services import db, services, today
from ..translations import form_translations
from . import prefill

bp = Blueprint("filing", __name__, template_folder="templates")
NAV = "nav"  # the name of the page's own buttons ("action" belongs to the renderers)


def compiled_of(case: Case):
    return services().runtime.catalogue.compiled(db(), case.version_id)


# -- the pages ---------------------------------------------------------------------------------


def _form(procedure: Procedure, page: Page, case: Case, formdata=None):
    """The page's form. Answers certified by FranceConnect show read-only, and keep their
    value whatever a post says (the post's value is replaced before validation)."""
    from .drafts import certified_answers

    certified = certified_answers(procedure, case.owner_id)
    cls = renderers.page_form(procedure, page, language=current_language())
    if formdata is not None and certified:
        posted = request.form.copy()
        for field_id, value in certified.items():
            posted.setlist(field_id, [value])
        formdata = CombinedMultiDict([posted, request.files])
    form = cls(
        formdata,
        answers={**case.answers, **certified},
        today=today(),
        translations=form_translations(),
    )
    note = _("Certified by FranceConnect: this answer cannot be changed here.")
    form.certified = {field_id: note for field_id in certified if field_id in form._fields}
    return form


def _mails_no_link() -> bool:
    """Only "save and finish later" by an anonymous filer mails a link."""
    return request.form.get(NAV) != "save" or current_user.is_authenticated


@bp.route("/brouillons/<int:case_id>/<page_id>", methods=["GET", "POST"])
@limiter.shared_limit(
    lambda: current_app.config["MAIL_RATE_LIMIT"],
    scope="mail",
    methods=["POST"],
    exempt_when=_mails_no_link,
)
def page(case_id: int, page_id: str):
    case = draft_case(case_id)
    procedure = compiled_of(case).procedure
    pages = visible_pages(procedure, case.answers)
    current = next((p for p in pages if p.id == page_id), None)
    if current is None:
        abort(404)
    if request.method == "GET":
        return _render_page(procedure, case, pages, current, _form(procedure, current, case))
    form = _form(procedure, current, case, CombinedMultiDict([request.form, request.files]))
    if form.group_action or form.detached:
        # shown again, unsaved: but the files chosen are kept, and a removed one goes
        uploads.keep(case, form, validated=False).commit()
        return _render_page(procedure, case, pages, current, form)
    going = request.form.get(NAV, "next")
    if going == "save":
        return _save_later(procedure, case, current, form)
    new = renderers.answers_from(form) if form.validate() else None
    if new is not None and uploads.over_limits(case, form, new):
        new = None
    if new is None:
        uploads.keep(case, form, validated=True).commit()  # the valid files stay
        if going == "back":  # going back loses nothing that was saved
            return redirect(_neighbour(case, pages, current, -1))
        if going == "next" and _prefill_this_page(procedure, case, current, form):
            return redirect(url_for("filing.page", case_id=case.id, page_id=current.id))
        return _render_page(procedure, case, pages, current, form), 422
    store_files(case, procedure, form, new, page=current.id)
    todo = prefill.pending(procedure, current, case)
    if todo:
        filled = prefill.run(procedure, case, todo, prefill.identity_of(_account()))
        db().commit()
        if filled & {f.id for f in current.fields}:  # to check on this page before going on
            return redirect(url_for("filing.page", case_id=case.id, page_id=current.id))
    if going == "back":
        return redirect(_neighbour(case, pages, current, -1))
    if request.args.get("from") == "review":
        return redirect(url_for("filing.review", case_id=case.id))
    return redirect(_neighbour(case, visible_pages(procedure, case.answers), current, +1))


def _account():
    from engine.models import Account

    return db().get(Account, current_user.id) if current_user.is_authenticated else None


def _prefill_this_page(procedure: Procedure, case: Case, current: Page, form) -> bool:
    """A page not valid yet whose answered key fills fields of the same page (the SIRET
    above the association's name): its valid answers are kept, the lookup is made, and the
    page is shown again filled in. False when no such lookup is due."""
    valid, _refused = keepable_answers(form)
    on_page = {f.id for f in current.fields}
    merged = {**case.answers, **valid}
    todo = [
        lookup
        for lookup in prefill.pending(procedure, current, case, answers=merged)
        if on_page & {f.id for f, _ in lookup.targets}
    ]
    if not todo:
        return False
    for name in uploads.over_limits(case, form, valid):
        valid.pop(name, None)
    store_files(case, procedure, form, valid, page=current.id)
    prefill.run(procedure, case, todo, prefill.identity_of(_account()))
    db().commit()
    return True


def _save_later(procedure: Procedure, case: Case, current: Page, form):
    """ "Save and finish later": every answer of the page that is valid on its own is kept,
    whatever else is missing or wrong; the message names what could not be kept."""
    form.validate()
    valid, refused = keepable_answers(form)
    labels = {view.field.id: view.label for view in form.field_views}
    for name in uploads.over_limits(case, form, valid):  # beyond a limit: not kept, and said
        valid.pop(name, None)
        refused.append((labels[name], _("too many files")))
    store_files(case, procedure, form, valid, page=current.id)
    if refused:
        flash(
            _(
                "Your answers are saved, except: %(fields)s.",
                fields=_("; ").join(
                    _("%(label)s (%(reason)s)", label=label, reason=reason)
                    for label, reason in refused
                ),
            ),
            "warning",
        )
    if case.owner_id is None:
        from .drafts import send_resume_link  # drafts.py adds its views to this blueprint

        sent = send_resume_link(case, procedure)
        flash(
            _("Your draft is saved. We sent you a link to come back to it.")
            if sent
            else _(
                "Your draft is saved in this browser. Give an e-mail address to get a link "
                "to come back to it from anywhere."
            ),
            "success",
        )
    else:
        flash(_("Your draft is saved. You can come back to it from your requests."), "success")
    db().commit()
    return redirect(url_for("filing.page", case_id=case.id, page_id=current.id))


def keepable_answers(form) -> tuple[dict, list[tuple[str, str]]]:
    """After ``form.validate()``: the answers of the visible fields that are valid on their
    own (a group keeps the valid values of its items), and ``(label, reason)`` for each
    field that holds something but could not be kept. Empty fields, required or not, are
    neither kept nor named: nothing typed is lost."""
    answers = renderers.answers_from(form)
    kept: dict = {}
    refused: list[tuple[str, str]] = []
    for view in form.field_views:
        name = view.field.id
        if view.input is None or not form.visible(name) or view.kind.is_empty(view.input):
            continue
        if view.type == "group":
            items = _keepable_items(view, refused)
            if items:
                kept[name] = items
            continue
        problems = view.error_items()
        if problems:
            refused.append((view.label, _reason(problems[0].message)))
        elif name in answers:
            kept[name] = answers[name]
    return kept, refused


def _keepable_items(view, refused: list[tuple[str, str]]) -> list[dict]:
    items = []
    for item in view.items:
        item_form = view.input.entries[item.index].form
        if item_form.is_blank():
            continue
        answer = {}
        for sub in item.fields:
            name = sub.field.id
            if sub.input is None or not item_form.visible(name) or sub.kind.is_empty(sub.input):
                continue
            problems = sub.error_items()
            if problems:
                refused.append((sub.label_prefix + sub.label, _reason(problems[0].message)))
                continue
            value = sub.kind.to_answer(sub.input)
            if value is not None:
                answer[name] = value
        if answer:
            items.append(answer)
    return items


def _reason(message: str) -> str:
    """An error message as it reads inside parentheses: no final full stop, and a lower
    case first letter ("saisissez une adresse…")."""
    message = message.strip().rstrip(".")
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    return message


def _neighbour(case: Case, pages: list[Page], current: Page, step: int) -> str:
    ids = [p.id for p in pages]
    index = ids.index(current.id) + step if current.id in ids else 0
    if index < 0:
        return url_for("filing.start", slug=case.procedure)
    if index >= len(ids):
        return url_for("filing.review", case_id=case.id)
    return url_for("filing.page", case_id=case.id, page_id=ids[index])


def _render_page(procedure, case, pages, current, form):
    uploads.describe(form, case)
    number = [p.id for p in pages].index(current.id) + 1
    return render_template(
        "filing/page.html",
        procedure=procedure,
        case=case,
        page=current,
        form=form,
        number=number,
        total=len(pages),
        review=procedure.form.review,
        deletable=may_delete(case),
        prefill_mentions=prefill.mentions(procedure, current),
        address_searches=prefill.address_searches(case, current),
        location_maps=prefill.location_maps(current),
    )


def store_files(case: Case, procedure: Procedure, form, answers: dict, *, page: str) -> None:
    """Save a valid page of a draft, and commit: its uploaded files go to the upload folder
    (outside the web root, written once the page is saved), the answers keep their ids,
    and the files the page no longer holds (replaced, removed) are deleted."""
    before = dict(case.answers)
    staged = uploads.stage(case, form, answers)
    cases.save_answers(db(), case, staged.values, page=page, replacing=form.field_ids)
    uploads.drop_unused(case, form, before, staged)
    staged.commit()


# -- review, submit, receipt -------------------------------------------------------------------


@bp.route("/brouillons/<int:case_id>/verification")
def review(case_id: int):
    case = draft_case(case_id)
    procedure = compiled_of(case).procedure
    return _render_review(procedure, case)


def _render_review(procedure, case, errors=None):
    from definitions.answers import expression_context

    from ..answers import answer_rows

    pages = visible_pages(procedure, case.answers)
    errors = list(dict((e.field, e) for e in errors or []).values())  # one line per field
    context = expression_context(procedure.fields, case.answers, today=today())
    sections = [
        (
            p,
            answer_rows(
                [f for f in p.fields if f.visible_if is None or f.visible_if.holds(context)],
                case.answers,
                procedure,
            ),
        )
        for p in pages
    ]
    return render_template(
        "filing/review.html",
        procedure=procedure,
        case=case,
        sections=sections,
        errors=errors or [],
        key=str(uuid.uuid4()),
        deletable=may_delete(case),
    )


@bp.route("/brouillons/<int:case_id>/envoi", methods=["POST"])
def submit(case_id: int):
    case = db().get(Case, case_id)
    if case is not None and not case.is_draft and may_fill(case):
        return redirect(url_for("filing.receipt", case_id=case.id))  # a replayed submit
    case = draft_case(case_id)
    state = services()
    # The key names one submission of this case: another case's key is never honoured (that
    # would answer with the other case, and show its receipt to this browser).
    given = (request.form.get("submission") or "")[:80]
    key = f"{case.id}:{given}" if given else None
    try:
        submitted = cases.submit(
            db(),
            state.runtime,
            case,
            filer(case),
            state.clock,
            idempotency_key=key,
            receipt=True,
            tracking_link=tracking_link,
        )
        if submitted.id != case.id:  # the key of a submission already made: a replay
            db().rollback()
            return redirect(url_for("filing.receipt", case_id=submitted.id))
        db().commit()
    except InvalidValues as invalid:
        db().rollback()
        procedure = compiled_of(case).procedure
        return _render_review(procedure, case, invalid.errors), 422
    except Conflict:
        # a double click: another request submitted this draft at the same instant
        db().rollback()
        stored = db().get(Case, case_id)
        if stored is not None and not stored.is_draft and may_fill(stored):
            return redirect(url_for("filing.receipt", case_id=stored.id))
        raise
    except EngineError:
        db().rollback()
        raise
    remember_draft(case)
    return redirect(url_for("filing.receipt", case_id=case.id))


def filer(case: Case) -> Actor:
    """Who submits: the agent filing on behalf of a citizen, the citizen, or the holder of
    an anonymous draft."""
    if current_user.is_authenticated and (current_user.is_staff or case.owner_id):
        return current_user.actor
    return Actor("citizen", tracking_token=case.tracking_token)


def tracking_link(token: str) -> str:
    """The link an anonymous filer follows their request by (in the receipt)."""
    return url_for("space.tracking", token=token, _external=True)


@bp.route("/demandes/<int:case_id>/recu")
def receipt(case_id: int):
    case = db().get(Case, case_id)
    allowed = case is not None and not case.is_draft and may_fill(case)
    if not allowed:
        abort(404)
    compiled = compiled_of(case)
    state = compiled.procedure.workflow.state(case.state)
    receipt = receipts.receipt_of(services().runtime, compiled, case)
    return render_template(
        "filing/receipt.html",
        case=case,
        procedure=compiled.procedure,
        state=state,
        mentions=receipts.silence_paragraphs(receipt),
        contact=receipts.contact_lines(receipt),
    )
