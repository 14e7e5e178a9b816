"""Flask extensions, bound to the app in ``init_app``."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """French first: the language chosen with the switch (kept in the session), else the
    site's first language."""
    languages = current_languages()
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    return session.get("lang") if session.get("lang") in languages else languages[0]


def current_languages() -> list[str]:
    from flask import current_app

    return list(current_app.config["LANGUAGES"])


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.config.setdefault(
        "RATELIMIT_ENABLED", not app.testing or app.config.get("RATELIMIT_ENABLED", True)
    )
    limiter.init_app(app)
