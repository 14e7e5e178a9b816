"""Citizen accounts: sign-up with e-mail confirmation, sign-in, sign-out, password reset."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user, user_logged_out
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from .. import accounts
from ..extensions import limiter, login_manager
from ..mail import send_mail
from ..params import local_path
from ..services import db, services

bp = Blueprint("auth", __name__, template_folder="templates")

CONFIRM_LIFETIME = dt.timedelta(days=7)
RESET_LIFETIME = dt.timedelta(hours=2)


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in person, while their server session lives: signing out, or changing or
    resetting the password, ends it on the server, so a copied cookie is worth nothing."""
    from engine.models import Account

    database = db()
    account = database.get(Account, int(user_id)) if user_id.isdigit() else None
    if account is None or not account.active:
        return None
    now = services().clock.now()
    live = accounts.live_session(
        database,
        session.get(accounts.SESSION_KEY),
        account.id,
        now,
        current_app.config["PERMANENT_SESSION_LIFETIME"],
    )
    if live is None:
        return None
    pending = database.new or database.dirty or database.deleted
    if now - live.last_seen_at > accounts.SEEN_EVERY and not pending:
        live.last_seen_at = now
        database.commit()
    return accounts.User.of(account)


@user_logged_out.connect
def _end_server_session(app, user=None, **extra) -> None:
    """Every sign-out (the button, an idle staff session) deletes the server session."""
    token = session.pop(accounts.SESSION_KEY, None)
    if token:
        accounts.end_session(db(), token)
        db().commit()


def sign_in(account) -> None:
    """Sign ``account`` in, with a new server session."""
    login_user(accounts.User.of(account))
    session[accounts.SESSION_KEY] = accounts.start_session(
        db(),
        account,
        services().clock.now(),
        current_app.config["PERMANENT_SESSION_LIFETIME"],
        request.headers.get("User-Agent", ""),
    )
    db().commit()


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after signing in."""
    if local_path(target):
        return target
    if current_user.is_authenticated and current_user.is_staff:
        return url_for("backoffice.inbox")
    return url_for("space.requests")


class StrongPassword:
    """Refuses short, common and trivial passwords, and those that contain the e-mail
    address or the name (of the form's fields, or of the form's ``account``)."""

    def __call__(self, form, field) -> None:
        account = getattr(form, "account", None)
        email = form.email.data if "email" in form else getattr(account, "email", "")
        name = form.name.data if "name" in form else getattr(account, "name", "")
        problem = accounts.password_problem(field.data or "", email=email or "", name=name or "")
        if problem is not None:
            raise ValidationError(str(problem))


class EmailAddress:
    """The same check as ``guichet users create``: ``accounts.normalise_email``."""

    def __call__(self, form, field) -> None:
        try:
            accounts.normalise_email(field.data or "")
        except accounts.InvalidEmail as error:
            raise ValidationError(_("Enter a valid e-mail address.")) from error


def new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), StrongPassword()],
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
        validators=[DataRequired(), Length(max=320), EmailAddress()],
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


class _OfAccount:
    """A form about an existing account (its e-mail address and name are not passwords)."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account


class ResetForm(_OfAccount, FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = confirmation_field()


class PasswordForm(_OfAccount, FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    confirm = confirmation_field()

    def validate_current(self, field) -> None:
        if not accounts.check_password(self.account, field.data or ""):
            raise ValidationError(_("This is not your current password."))


def _address_tried() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()[:320]


@bp.route("/compte/creer", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
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
            token = accounts.make_token(
                session, "confirm", account, CONFIRM_LIFETIME, services().clock.now()
            )
            link = url_for("auth.confirm", token=token, _external=True)
            send_mail(
                email,
                _("Confirm your e-mail address"),
                _("To finish creating your account, open this link: %(link)s", link=link),
            )
        else:
            accounts.hash_password(form.password.data)  # as long as for a new account
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
    now = services().clock.now()
    account = accounts.read_token(session, "confirm", token, now)
    if account is None:
        abort(404)
    accounts.use_token(session, "confirm", token, now)
    if account.email_confirmed_at is None:
        account.email_confirmed_at = now
    session.commit()
    flash(_("Your address is confirmed. You can sign in."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_address_tried,
    methods=["POST"],
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        account = accounts.find_account(db(), form.email.data)
        # one password check whether or not the address has an account (a dummy hash if not)
        if accounts.check_password(account, form.password.data):
            if account.kind == "citizen" and account.email_confirmed_at is None:
                error = _("Confirm your e-mail address first: open the link we sent you.")
            else:
                sign_in(account)
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
        next=request.args.get("next") if local_path(request.args.get("next")) else None,
    )


@bp.route("/deconnexion", methods=["POST"])
def logout():
    """Ends the server session and forgets everything the browser's session held (drafts,
    an agent's filing on behalf), but the language chosen; after a sign-in through
    FranceConnect or ProConnect, ends the provider's session too."""
    from .identity import sign_out

    return sign_out()


@bp.route("/compte/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.shared_limit(lambda: current_app.config["MAIL_RATE_LIMIT"], scope="mail", methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        session = db()
        account = accounts.find_account(session, form.email.data)
        if account is not None and account.active:
            token = accounts.make_token(
                session, "reset", account, RESET_LIFETIME, services().clock.now()
            )
            link = url_for("auth.reset", token=token, _external=True)
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
    database = db()
    now = services().clock.now()
    account = accounts.read_token(database, "reset", token, now)
    if account is None:
        abort(404)
    form = ResetForm(account=account)
    if form.validate_on_submit():
        account.password_hash = accounts.hash_password(form.password.data)
        if account.email_confirmed_at is None:
            account.email_confirmed_at = now
        accounts.use_token(database, "reset", token, now)
        # whoever had the old password is signed out everywhere, here too
        accounts.revoke_sessions(database, account.id, now)
        database.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password is changed. You can sign in."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "auth/form.html",
        form=form,
        title=_("Choose a new password"),
        submit=_("Change my password"),
    )


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password():
    """A signed-in person changes their password; their other sessions end."""
    from engine.models import Account

    database = db()
    account = database.get(Account, current_user.id)
    form = PasswordForm(account=account)
    if form.validate_on_submit():
        account.password_hash = accounts.hash_password(form.password.data)
        accounts.revoke_sessions(
            database, account.id, services().clock.now(), keep=session.get(accounts.SESSION_KEY)
        )
        database.commit()
        flash(_("Your password is changed. Your other sessions are signed out."), "success")
        return redirect(url_for("auth.password"))
    return render_template(
        "auth/form.html",
        form=form,
        title=_("Change my password"),
        submit=_("Change my password"),
    )
