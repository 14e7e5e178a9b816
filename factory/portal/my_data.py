"""What Guichet holds about the signed-in citizen, read as a document or downloaded as JSON,
and deleting their account (with their password, or their address typed again when the
account has none: an account of FranceConnect alone)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from engine import personal_data
from engine.models import Account
from engine.storage import remove

from .. import accounts
from ..personal_data import document, json_download
from ..services import db, services
from .space import bp


def _citizen() -> Account:
    if current_user.kind != "citizen":
        abort(404)  # staff accounts are managed in the console
    return db().get(Account, current_user.id)


def _export(account: Account) -> dict:
    state = services()
    return personal_data.export(db(), state.runtime, state.clock, account=account)


@bp.route("/mes-donnees")
@login_required
def my_data():
    account = _citizen()
    return render_template("space/my_data.html", doc=document(_export(account)))


@bp.route("/mes-donnees.json")
@login_required
def my_data_json():
    return json_download(_export(_citizen()))


@bp.route("/mon-compte/supprimer", methods=["GET", "POST"])
@login_required
def delete_account():
    account = _citizen()
    needs_password = bool(account.password_hash)
    error = None
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            error = _("Tick the box to confirm that you want your account deleted.")
        elif needs_password and not accounts.check_password(
            account, request.form.get("password", "")
        ):
            error = _("This is not your password.")
        elif not needs_password and request.form.get("email", "").strip().lower() != account.email:
            error = _("Type the e-mail address of your account.")
        else:
            state = services()
            done = personal_data.delete_account(db(), account, state.clock)
            db().commit()
            remove(state.storage, done["files"])
            logout_user()
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            flash(_("Your account is deleted."), "success")
            return redirect(url_for("portal.catalogue"))
    return (
        render_template("space/delete_account.html", needs_password=needs_password, error=error),
        422 if error else 200,
    )
