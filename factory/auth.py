"""Citizen accounts: sign-up with e-mail confirmation, sign-in, sign-out, password reset."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from engine.outbox import enqueue

from . import accounts
from .extensions import limiter, login_manager
from .services import db, services

bp = Blueprint("auth", __name__)

CONFIRM_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 2 * 3600


@login_manager.user_loader
def load_user(user_id: str):
    from engine.models import Account

    account = db().get(Account, int(user_id)) if user_id.isdigit() else None
    if account is None or not account.active:
        return None
    return accounts.User.of(account)


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after signing in."""
    from .helpers import local_path

    if local_path(target):
        return target
    if current_user.is_authenticated and current_user.is_staff:
        return url_for("backoffice.inbox")
    return url_for("space.requests")


def new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD_LENGTH)],
        description=_l("At least %(n)s characters.", n=accounts.MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )


def confirmation_field() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def email_field(autocomplete: str = "email") -> EmailField:
    return EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email()],
        render_kw={"autocomplete": autocomplete, "inputmode": "email"},
    )


class SignupForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    password = new_password_field(_l("Password"))
    confirm = confirmation_field()


class LoginForm(FlaskForm):
    email = email_field("username")
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class ForgotForm(FlaskForm):
    email = email_field()


class ResetForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = confirmation_field()


def send_mail(to: str, subject: str, text: str) -> None:
    """A mail to one person, through the outbox (delivered after the commit)."""
    state = services()
    connector = state.runtime.mail_connector
    if connector is None:
        current_app.logger.warning("no e-mail connector: mail to %s not sent", to)
        return
    enqueue(
        db(),
        case=None,
        kind="notify",
        connector=connector,
        audience="citizen",
        payload={"to": [to], "subject": subject, "text": text},
        now=state.clock.now(),
    )


@bp.route("/compte/creer", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        session = db()
        email = form.email.data.strip().lower()
        existing = accounts.find_account(session, email)
        if existing is None:
            account = accounts.create_account(
                session, email, form.password.data, name=form.name.data.strip()
            )
            link = url_for(
                "auth.confirm", token=accounts.make_token("confirm", account), _external=True
            )
            send_mail(
                email,
                _("Confirm your e-mail address"),
                _("To finish creating your account, open this link: %(link)s", link=link),
            )
        else:
            send_mail(
                email,
                _("You already have an account"),
                _(
                    "Someone tried to create an account with your address. If it was you, "
                    "sign in or reset your password: %(link)s",
                    link=url_for("auth.forgot", _external=True),
                ),
            )
        session.commit()
        # the same answer whether or not the address has an account
        flash(
            _("We sent you an e-mail: open the link it contains to confirm your address."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/form.html", form=form, title=_("Create an account"), submit=_("Create my account")
    )


@bp.route("/compte/confirmer/<token>")
def confirm(token: str):
    session = db()
    account = accounts.read_token(session, "confirm", token, CONFIRM_MAX_AGE)
    if account is None:
        abort(404)
    if account.email_confirmed_at is None:
        account.email_confirmed_at = services().clock.now()
        session.commit()
    flash(_("Your address is confirmed. You can sign in."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        account = accounts.find_account(db(), form.email.data)
        if (
            account is not None
            and account.active
            and accounts.check_password(account, form.password.data)
        ):
            if account.kind == "citizen" and account.email_confirmed_at is None:
                error = _("Confirm your e-mail address first: open the link we sent you.")
            else:
                login_user(accounts.User.of(account))
                return redirect(safe_next(request.args.get("next")))
        else:
            error = _("The e-mail address or the password is not right.")
    return render_template(
        "auth/form.html",
        form=form,
        title=_("Sign in"),
        submit=_("Sign in"),
        error=error,
        login=True,
    )


@bp.route("/deconnexion", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("portal.catalogue"))


@bp.route("/compte/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        session = db()
        account = accounts.find_account(session, form.email.data)
        if account is not None and account.active:
            link = url_for(
                "auth.reset", token=accounts.make_token("reset", account), _external=True
            )
            send_mail(
                account.email,
                _("Choose a new password"),
                _("To choose a new password, open this link within two hours: %(link)s", link=link),
            )
            session.commit()
        flash(
            _("If an account uses this address, we sent it a link to choose a new password."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/form.html", form=form, title=_("Forgotten password"), submit=_("Send me a link")
    )


@bp.route("/compte/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
def reset(token: str):
    session = db()
    account = accounts.read_token(session, "reset", token, RESET_MAX_AGE)
    if account is None:
        abort(404)
    form = ResetForm()
    if form.validate_on_submit():
        account.password_hash = accounts.hash_password(form.password.data)
        if account.email_confirmed_at is None:
            account.email_confirmed_at = services().clock.now()
        session.commit()
        flash(_("Your password is changed. You can sign in."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/form.html",
        form=form,
        title=_("Choose a new password"),
        submit=_("Change my password"),
    )
