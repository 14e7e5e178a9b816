"""Signing in with FranceConnect (citizens) and ProConnect (agents), linking FranceConnect to
a local account, and signing out of the provider too.

Accounts are found by the provider's ``sub`` in ``external_identities``, never by e-mail
alone:

- FranceConnect: a known ``sub`` signs its account in. An unknown one creates a citizen
  account with the e-mail address FranceConnect gives, unless an account already uses that
  address: its owner signs in with their password and links FranceConnect from their
  profile (an address is not proof that the two are the same person).
- ProConnect: staff accounts are created by an administrator (``guichet users create``),
  never by signing in. A known ``sub`` signs its staff account in; the first time, the
  ProConnect identity is linked to the active staff account an administrator created for
  the e-mail address ProConnect gives (ProConnect's addresses are the agents' professional
  addresses, checked by their organisation) if that account has no ProConnect identity
  yet. Anyone else is refused.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from .. import accounts
from ..extensions import limiter
from ..params import local_path
from ..services import db, services
from . import oidc
from .views import bp, safe_next, sign_in

PENDING_KEY = "oidc_pending"
#: After a sign-in through a provider: its name and the ID token, for the sign-out.
SIGNED_IN_KEY = "oidc_signed_in"
LOGOUT_STATE_KEY = "oidc_logout_state"
NEXT_KEY = "oidc_next"

#: What each failure tells the person (a title and what to do next).
REASONS = {
    "unavailable": (
        _l("%(provider)s does not answer"),
        _l("Try again in a few minutes, or sign in with your e-mail address and password."),
    ),
    "state": (
        _l("This sign-in link is not valid"),
        _l("It was already used or did not start here. Start signing in again."),
    ),
    "late": (
        _l("The sign-in took too long"),
        _l("For your security, a sign-in must end within ten minutes. Start again."),
    ),
    "denied": (
        _l("The sign-in was cancelled"),
        _l("You did not finish signing in with %(provider)s. You can start again."),
    ),
    "acr": (
        _l("The level of assurance is not sufficient"),
        _l(
            "%(provider)s did not confirm your identity at the level this service needs "
            "(eIDAS low). Sign in again with another account of %(provider)s."
        ),
    ),
}
DEFAULT_REASON = (
    _l("The sign-in with %(provider)s failed"),
    _l(
        "The answer of %(provider)s could not be checked, so you are not signed in. "
        "Start again; if it fails again, sign in with your e-mail address and password."
    ),
)
NAMES = {"franceconnect": "FranceConnect", "proconnect": "ProConnect"}


def providers() -> dict:
    """The identity providers of the site config (none without an ``identity:`` section)."""
    site = services().runtime.site
    return dict(site.identity) if site is not None else {}


def provider_or_404(name: str):
    provider = providers().get(name)
    if provider is None:
        abort(404)
    return provider


def failure(name: str, reason: str, status: int = 400):
    title, advice = REASONS.get(reason, DEFAULT_REASON)
    back = url_for("auth.login")
    return (
        render_template(
            "auth/identity_error.html",
            title=title % {"provider": NAMES[name]},
            advice=advice % {"provider": NAMES[name]},
            back=back,
        ),
        status,
    )


def refused(title: str, advice: str, status: int = 403):
    return (
        render_template(
            "auth/identity_error.html", title=title, advice=advice, back=url_for("auth.login")
        ),
        status,
    )


def _redirect_uri(name: str) -> str:
    return url_for(f"auth.{name}_callback", _external=True)


def _begin(name: str, link: bool = False):
    provider = provider_or_404(name)
    try:
        with oidc.client() as http:
            metadata = oidc.discover(provider, http)
    except oidc.SignInError as error:
        current_app.logger.warning("%s sign-in not started: %s", name, error)
        return failure(name, error.reason, 502 if error.reason == "unavailable" else 400)
    url, pending = oidc.start(provider, metadata, _redirect_uri(name), services().clock.now())
    session[PENDING_KEY] = {**pending.as_dict(), "link": current_user.id if link else None}
    session[NEXT_KEY] = local_path(request.args.get("next")) if not link else None
    return redirect(url)


@bp.route("/connexion/franceconnect", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def franceconnect_start():
    return _begin("franceconnect")


@bp.route("/connexion/proconnect", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def proconnect_start():
    return _begin("proconnect")


@bp.route("/compte/franceconnect/lier", methods=["POST"])
@login_required
def franceconnect_link():
    """A signed-in citizen links FranceConnect to their account (from the profile page)."""
    if current_user.kind != "citizen":
        abort(403)
    return _begin("franceconnect", link=True)


def _finish(name: str):
    """The provider's callback: the pending sign-in is taken out of the session first, so
    that the same callback a second time (a replay) finds nothing to finish."""
    provider = provider_or_404(name)
    pending_data = session.pop(PENDING_KEY, None)
    pending = oidc.Pending.of(pending_data)
    link = pending_data.get("link") if isinstance(pending_data, dict) else None
    next_url = session.pop(NEXT_KEY, None)
    arguments = {k: v for k, v in request.args.items() if isinstance(v, str)}
    try:
        with oidc.client() as http:
            metadata = oidc.discover(provider, http)
            identity = oidc.finish(
                provider,
                metadata,
                pending,
                arguments,
                _redirect_uri(name),
                http,
                services().clock.now(),
            )
    except oidc.SignInError as error:
        current_app.logger.warning("%s sign-in refused: %s", name, error)
        return failure(name, error.reason, 502 if error.reason == "unavailable" else 400)
    if link is not None:
        return _link(identity, link)
    account, problem = (_citizen if name == "franceconnect" else _agent)(identity)
    if account is None:
        db().rollback()
        return problem
    _remember(account, identity)
    sign_in(account)
    session[SIGNED_IN_KEY] = {"provider": name, "id_token": identity.id_token}
    return redirect(next_url or safe_next(None))


@bp.route("/connexion/franceconnect/retour")
def franceconnect_callback():
    return _finish("franceconnect")


@bp.route("/connexion/proconnect/retour")
def proconnect_callback():
    return _finish("proconnect")


def _identity_row(provider: str, sub: str):
    from engine.models import ExternalIdentity

    return db().scalars(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.provider == provider, ExternalIdentity.sub == sub
        )
    ).first()


def _remember(account, identity: oidc.Identity, row=None) -> None:
    """Keep what the provider said last (the pivot identity: certified prefill)."""
    from engine.models import ExternalIdentity

    now = services().clock.now()
    row = row or _identity_row(identity.provider, identity.sub)
    if row is None:
        row = ExternalIdentity(
            provider=identity.provider, sub=identity.sub, account_id=account.id, linked_at=now
        )
        db().add(row)
    row.claims = {**identity.claims, "acr": identity.acr}
    row.last_seen_at = now
    db().flush()


def _full_name(claims: dict) -> str:
    family = claims.get("family_name") or claims.get("usual_name") or ""
    return " ".join(p for p in (claims.get("given_name", ""), family) if p).strip()[:200]


def _citizen(identity: oidc.Identity):
    from engine.models import Account

    row = _identity_row("franceconnect", identity.sub)
    if row is not None:
        account = db().get(Account, row.account_id)
        if account is None or not account.active or account.kind != "citizen":
            return None, refused(
                _("This account cannot sign in"),
                _("Contact the town hall if you think this is a mistake."),
            )
        return account, None
    email = str(identity.claims.get("email") or "")
    try:
        email = accounts.normalise_email(email)
    except accounts.InvalidEmail:
        return None, refused(
            _("FranceConnect did not give an e-mail address"),
            _("Create an account with your e-mail address, then link FranceConnect to it."),
            400,
        )
    if accounts.find_account(db(), email) is not None:
        return None, refused(
            _("An account already uses this e-mail address"),
            _(
                "Sign in with your e-mail address and password, then link FranceConnect "
                "from your profile."
            ),
            409,
        )
    account = accounts.create_account(
        db(),
        email,
        None,
        name=_full_name(identity.claims),
        confirmed=True,
        now=services().clock.now(),
    )
    return account, None


def _agent(identity: oidc.Identity):
    from engine.models import Account, ExternalIdentity

    unknown = refused(
        _("No agent account for this identity"),
        _(
            "Agents sign in with ProConnect once an administrator has created their account "
            "with their professional e-mail address. Ask your administrator."
        ),
    )
    row = _identity_row("proconnect", identity.sub)
    if row is not None:
        account = db().get(Account, row.account_id)
    else:
        try:
            email = accounts.normalise_email(str(identity.claims.get("email") or ""))
        except accounts.InvalidEmail:
            return None, unknown
        account = accounts.find_account(db(), email)
        if account is not None:
            linked = db().scalar(
                sa.select(sa.func.count())
                .select_from(ExternalIdentity)
                .where(
                    ExternalIdentity.provider == "proconnect",
                    ExternalIdentity.account_id == account.id,
                )
            )
            if linked:
                return None, unknown
    if account is None or not account.active or account.kind not in accounts.STAFF_KINDS:
        return None, unknown
    return account, None


def _link(identity: oidc.Identity, account_id):
    from engine.models import Account

    if not current_user.is_authenticated or current_user.id != account_id:
        return failure("franceconnect", "state")
    row = _identity_row("franceconnect", identity.sub)
    if row is not None and row.account_id != account_id:
        return refused(
            _("This FranceConnect identity is linked to another account"),
            _("Sign in with FranceConnect to reach that account."),
            409,
        )
    account = db().get(Account, account_id)
    _remember(account, identity, row)
    db().commit()
    session[SIGNED_IN_KEY] = {"provider": "franceconnect", "id_token": identity.id_token}
    flash(_("FranceConnect is linked to your account."), "success")
    return redirect(url_for("space.profile"))


def sign_out():
    """Sign out here, then at the provider when the sign-in came through one (its
    ``end_session_endpoint`` with ``id_token_hint``, ``state`` and the return address)."""
    signed_in = session.get(SIGNED_IN_KEY)
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    if isinstance(signed_in, dict) and signed_in.get("provider") in providers():
        provider = providers()[signed_in["provider"]]
        try:
            with oidc.client() as http:
                metadata = oidc.discover(provider, http)
        except oidc.SignInError as error:
            current_app.logger.warning("%s logout not possible: %s", provider.name, error)
            flash(
                _(
                    "You are signed out here, but %(provider)s does not answer: close your "
                    "browser to end your %(provider)s session.",
                    provider=NAMES[provider.name],
                ),
                "error",
            )
            return redirect(url_for("portal.catalogue"))
        state = secrets.token_urlsafe(32)
        url = oidc.logout_url(
            metadata,
            str(signed_in.get("id_token", "")),
            state,
            url_for("auth.logged_out", _external=True),
        )
        if url is not None:
            session[LOGOUT_STATE_KEY] = {"state": state, "provider": provider.name}
            return redirect(url)
    flash(_("You are signed out."), "success")
    return redirect(url_for("portal.catalogue"))


@bp.route("/deconnexion/retour")
def logged_out():
    """Where the provider sends the browser back after its own sign-out."""
    expected = session.pop(LOGOUT_STATE_KEY, None)
    state = request.args.get("state", "")
    if isinstance(expected, dict) and secrets.compare_digest(
        state, str(expected.get("state", ""))
    ):
        flash(
            _(
                "You are signed out, here and from %(provider)s.",
                provider=NAMES.get(expected.get("provider"), ""),
            ),
            "success",
        )
    else:
        flash(_("You are signed out."), "success")
    return redirect(url_for("portal.catalogue"))


def linked_providers(account_id: int) -> set[str]:
    from engine.models import ExternalIdentity

    return set(
        db().scalars(
            sa.select(ExternalIdentity.provider).where(ExternalIdentity.account_id == account_id)
        )
    )
