"""The console's staff accounts: the list, creating one, editing, activating and
deactivating."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from engine.models import (
    STAFF_KINDS,
    Account,
    Membership,
)

from ..accounts import (
    InvalidEmail,
    create_account,
    find_account,
    normalise_email,
    password_problem,
)
from ..audit import audit
from ..language import text
from ..services import db, services
from ..wording import account_kind
from .views import admin_required, bp

USERS_SHOWN = 500


# -- users -------------------------------------------------------------------------------------


def _departments() -> dict[str, str]:
    site = services().runtime.site
    if site is None:
        return {}
    return {key: text(department.name) for key, department in site.departments.items()}


def _chosen_departments(errors: list[str]) -> list[str]:
    known = _departments()
    chosen = sorted(set(request.form.getlist("departments")))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        errors.append(_("Unknown department: %(names)s.", names=", ".join(unknown)))
    return chosen


@bp.route("/utilisateurs")
@admin_required
def users():
    session = db()
    staff_first = sa.case((Account.kind == "citizen", 1), else_=0)
    rows = list(
        session.scalars(sa.select(Account).order_by(staff_first, Account.email).limit(USERS_SHOWN))
    )
    return render_template("console/users.html", rows=rows, limit=USERS_SHOWN)


@bp.route("/utilisateurs/nouveau", methods=["GET", "POST"])
@admin_required
def new_user():
    departments = _departments()
    errors: list[str] = []
    values = {"email": "", "name": "", "kind": "agent", "departments": []}
    status = 200
    if request.method == "POST":
        session = db()
        values = {
            "email": request.form.get("email", "").strip().lower()[:320],
            "name": request.form.get("name", "").strip()[:200],
            "kind": request.form.get("kind", ""),
            "departments": _chosen_departments(errors),
        }
        password = request.form.get("password", "")
        try:  # the same checks as the sign-up form and ``guichet users create``
            values["email"] = normalise_email(values["email"])
        except InvalidEmail:
            errors.append(_("Enter a valid e-mail address."))
        else:
            if find_account(session, values["email"]) is not None:
                errors.append(_("An account with this e-mail address already exists."))
        if values["kind"] not in STAFF_KINDS:
            errors.append(_("Choose the kind of account."))
        problem = password_problem(password, email=values["email"], name=values["name"])
        if problem is not None:
            errors.append(str(problem))
        if not errors:
            account = create_account(
                session,
                values["email"],
                password,
                kind=values["kind"],
                name=values["name"],
                departments=tuple(values["departments"]),
                confirmed=True,
                now=services().clock.now(),
            )
            audit(
                "account.create",
                account=account.id,
                kind=account.kind,
                departments=values["departments"],
            )
            session.commit()
            flash(_("The account of %(email)s is created.", email=account.email), "success")
            return redirect(url_for("console.user", account_id=account.id))
        status = 422
    return render_template(
        "console/new_user.html",
        departments=departments,
        errors=errors,
        values=values,
        kinds=[(kind, account_kind(kind)) for kind in STAFF_KINDS],
    ), status


def _account(account_id: int) -> Account:
    account = db().get(Account, account_id)
    if account is None:
        abort(404)
    return account


@bp.route("/utilisateurs/<int:account_id>", methods=["GET", "POST"])
@admin_required
def user(account_id: int):
    session = db()
    account = _account(account_id)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if account.kind not in STAFF_KINDS:
            abort(404)
        chosen = _chosen_departments(errors)
        if not errors:
            before = sorted(account.departments)
            account.memberships = [m for m in account.memberships if m.department in chosen] + [
                Membership(department=d) for d in chosen if d not in account.departments
            ]
            audit("account.memberships", account=account.id, before=before, after=chosen)
            session.commit()
            flash(_("The memberships are saved."), "success")
            return redirect(url_for("console.user", account_id=account.id))
        status = 422
    return render_template(
        "console/user.html",
        account=account,
        departments=_departments(),
        errors=errors,
        staff=account.kind in STAFF_KINDS,
    ), status


@bp.route("/utilisateurs/<int:account_id>/activation", methods=["POST"])
@admin_required
def activation(account_id: int):
    session = db()
    account = _account(account_id)
    active = request.form.get("active") == "1"
    if account.id == current_user.id and not active:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("console.user", account_id=account.id))
    account.active = active
    audit("account.reactivate" if active else "account.deactivate", account=account.id)
    session.commit()
    flash(_("The account is active.") if active else _("The account is deactivated."), "success")
    return redirect(url_for("console.user", account_id=account.id))
