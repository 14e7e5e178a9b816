"""Drafts: the procedure's page and the start, resuming a draft (in this browser or by the
link mailed to an anonymous filer), and deleting one.

Drafts belong to the signed-in citizen, or, for anonymous filers, to the browser session
that started them (and to whoever holds the resume link sent by e-mail). Anyone else gets a
404.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user

from definitions.model import Procedure
from engine import cases
from engine.drafts import delete_draft as delete_draft_case
from engine.drafts import remove_files
from engine.models import Account, Attachment, Case
from engine.workflow import Actor

from .. import legal
from ..access import (
    actor,
    draft_case,
    may_delete,
    remember_draft,
    session_drafts,
)
from ..answers import visible_pages
from ..extensions import limiter
from ..language import text
from ..services import db, services
from . import prefill as lookups
from .filing import bp, compiled_of

# -- the procedure's page and the start ------------------------------------------------------


@bp.route("/demarches/<slug>")
def start(slug: str):
    state = services()
    row = state.runtime.catalogue.current(db(), slug)
    if row is None:
        abort(404)
    procedure = state.runtime.catalogue.compiled(db(), row.id).procedure
    return render_template(
        "filing/start.html",
        procedure=procedure,
        slug=slug,
        drafts=draft_offers(slug),
        notice=legal.notice(procedure),
        dpo=legal.site().dpo if legal.site() else None,
    )


def own_drafts(slug: str) -> list[Case]:
    """The drafts of ``slug`` this browser may resume: the signed-in citizen's, and the
    anonymous ones started in this browser session."""
    owner = (
        current_user.id
        if current_user.is_authenticated and current_user.kind == "citizen"
        else None
    )
    anonymous = [] if current_user.is_authenticated and current_user.is_staff else session_drafts()
    return cases.drafts_of(db(), slug, owner_id=owner, case_ids=anonymous)


def draft_offers(slug: str) -> list[dict]:
    """The drafts to offer on a procedure's page, each with the words of its link: "Resume
    the draft of 3 December 2026", with the time when two drafts share a day."""
    drafts = own_drafts(slug)[:10]
    days = [format_date(c.created_at, "long") for c in drafts]
    offers = []
    for case, day in zip(drafts, days, strict=True):
        when = (
            _("%(date)s at %(time)s", date=day, time=format_time(case.created_at, "short"))
            if days.count(day) > 1
            else day
        )
        offers.append({"case": case, "when": when})
    return offers


@bp.route("/demarches/<slug>/commencer", methods=["POST"])
@limiter.limit(lambda: current_app.config["DRAFT_RATE_LIMIT"])
def begin(slug: str):
    state = services()
    row = state.runtime.catalogue.current(db(), slug)
    if row is None:
        abort(404)
    procedure = state.runtime.catalogue.compiled(db(), row.id).procedure
    if procedure.login == "required" and not current_user.is_authenticated:
        flash(
            _("This procedure needs an account: sign in or create one, then start again."), "info"
        )
        return redirect(url_for("auth.login", next=url_for("filing.start", slug=slug)))
    if current_user.is_authenticated and current_user.kind != "citizen":
        abort(403)
    if request.form.get("new") != "yes" and own_drafts(slug):
        # a draft of this procedure exists: the procedure's page offers to resume it
        return redirect(url_for("filing.start", slug=slug))
    who = Actor("citizen") if procedure.login == "none" else actor()
    case = cases.new_draft(db(), state.runtime, row, who, state.clock)
    account = db().get(Account, who.account_id) if who.account_id else None
    case.answers = prefill(procedure, account)
    lookups.at_start(procedure, case, account)
    db().commit()
    remember_draft(case)
    return redirect(
        url_for(
            "filing.page", case_id=case.id, page_id=visible_pages(procedure, case.answers)[0].id
        )
    )


#: The claims of FranceConnect's pivot identity (and the e-mail address it gives) that
#: ``prefill: identity.CLAIM`` takes as certified.
PIVOT_CLAIMS = (
    "given_name",
    "family_name",
    "birthdate",
    "birthplace",
    "birthcountry",
    "gender",
    "email",
    "preferred_username",
)


def pivot_identity(account_id: int | None) -> dict[str, str]:
    """What FranceConnect said last of the account's holder (nothing without a link)."""
    if account_id is None:
        return {}
    from engine.models import ExternalIdentity

    row = db().scalars(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.account_id == account_id,
            ExternalIdentity.provider == "franceconnect",
        )
    ).first()
    if row is None:
        return {}
    claims = row.claims or {}
    return {k: str(claims[k]) for k in PIVOT_CLAIMS if isinstance(claims.get(k), str | int)}


def certified_answers(procedure: Procedure, account_id: int | None) -> dict[str, str]:
    """The answers a citizen signed in with FranceConnect cannot change: the top-level
    fields prefilled from a claim of the pivot identity, with FranceConnect's value."""
    pivot = pivot_identity(account_id)
    if not pivot:
        return {}
    answers = {}
    for field in procedure.form.fields:
        source, _, key = (field.prefill or "").partition(".")
        if source == "identity" and pivot.get(key):
            answers[field.id] = pivot[key]
    return answers


def prefill(procedure: Procedure, account: Account | None) -> dict:
    """ "Tell us once": what the account already knows (profile only with consent), and
    FranceConnect's pivot identity, certified, over it."""
    if account is None:
        return {}
    profile = account.profile or {}
    identity = {
        "email": account.email,
        **{k: v for k, v in profile.items() if k in ("given_name", "family_name", "birthdate")},
        **pivot_identity(account.id),
    }
    answers = {}
    for field in procedure.form.fields:
        if not isinstance(field.prefill, str):
            continue  # a lookup in a prefill source happens as the filer answers
        source, _, key = field.prefill.partition(".")
        if source == "identity" and identity.get(key):
            answers[field.id] = identity[key]
        elif source == "profile" and account.prefill_consent and profile.get(key):
            answers[field.id] = profile[key]
    return answers


@bp.route("/brouillons/<int:case_id>")
def resume(case_id: int):
    case = draft_case(case_id)
    procedure = compiled_of(case).procedure
    pages = visible_pages(procedure, case.answers)
    page_id = case.current_page if case.current_page in {p.id for p in pages} else pages[0].id
    return redirect(url_for("filing.page", case_id=case.id, page_id=page_id))


DELETE_BACK = ("space", "start", "draft")


@bp.route("/brouillons/<int:case_id>/supprimer", methods=["GET", "POST"])
def delete_draft(case_id: int):
    """Delete a draft, after a confirmation page (a POST with its CSRF token: no script
    needed). Its answers, its attachments' rows and their bytes go."""
    case = db().get(Case, case_id)
    if case is None or not may_delete(case):
        abort(404)
    procedure = compiled_of(case).procedure
    back = request.values.get("from")
    back = back if back in DELETE_BACK else "draft"
    if request.method == "GET":
        files = db().scalar(
            sa.select(sa.func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
        )
        cancel = {
            "space": url_for("space.requests"),
            "start": url_for("filing.start", slug=case.procedure),
        }.get(back) or url_for("filing.resume", case_id=case.id)
        return render_template(
            "filing/delete.html",
            case=case,
            procedure=procedure,
            day=format_date(case.created_at, "long"),
            files=files,
            back=back,
            cancel=cancel,
        )
    slug = case.procedure
    removed = delete_draft_case(db(), case)
    db().commit()
    remove_files(services().storage, removed)  # once the rows are gone: bytes, never rows, leak
    session["drafts"] = [i for i in session.get("drafts", []) if i != case_id]
    flash(_("Your draft is deleted."), "success")
    if back == "space" and current_user.is_authenticated:
        return redirect(url_for("space.requests"))
    return redirect(url_for("filing.start", slug=slug))


RESUME_MAX_AGE = 30 * 24 * 3600


def _resume_proof(case: Case) -> str:
    """What the resume link carries of the draft: a digest of its tracking token, never any
    part of the token itself (the token opens the request's tracking page)."""
    return hashlib.sha256(f"resume:{case.tracking_token}".encode()).hexdigest()[:32]


def _resume_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="guichet-resume")


def send_resume_link(case: Case, procedure: Procedure) -> bool:
    """Mail an anonymous filer a link that opens their draft from any browser."""
    from ..mail import send_mail

    address = next(
        (
            case.answers.get(f.id)
            for f in procedure.form.fields
            if f.type == "email" and case.answers.get(f.id)
        ),
        None,
    )
    if not address:
        return False
    token = _resume_serializer().dumps({"case": case.id, "t": _resume_proof(case)})
    link = url_for("filing.resume_link", token=token, _external=True)
    return send_mail(
        address,
        _("Your draft: %(title)s", title=text(procedure.title)),
        _("To go on with your request, open this link within 30 days: %(link)s", link=link),
    )


@bp.route("/brouillons/reprendre/<token>")
def resume_link(token: str):
    from itsdangerous import BadSignature, SignatureExpired

    try:
        data = _resume_serializer().loads(token, max_age=RESUME_MAX_AGE)
    except (BadSignature, SignatureExpired):
        abort(404)
    case = db().get(Case, data.get("case"))
    if (
        case is None
        or case.owner_id is not None
        or not case.is_draft
        or not case.tracking_token
        or not hmac.compare_digest(str(data.get("t", "")), _resume_proof(case))
    ):
        abort(404)
    remember_draft(case)
    return redirect(url_for("filing.resume", case_id=case.id))
