"""What the legal pages read from the site config: the authority's details, the legal
notice, the data protection officer, the accessibility statement and its status, and each
procedure's information notice (GDPR article 13), from the same data as the register of
processing activities (:mod:`definitions.register`)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from definitions import register
from definitions import texts as definition_texts

from .language import current_language, text
from .services import services

#: The status an accessibility statement declares, as the law words it (RGAA).
ACCESSIBILITY_WORDS = {
    "full": _l("fully compliant"),
    "partial": _l("partially compliant"),
    "none": _l("not compliant"),
}


def site():
    return services().runtime.site


def accessibility_status() -> str:
    """ "partiellement conforme": the statement's status; without a statement, not
    compliant (no audit has been made)."""
    statement = site().accessibility if site() is not None else None
    return str(ACCESSIBILITY_WORDS[statement.status if statement else "none"])


def notice(procedure) -> register.Activity:
    """The procedure's processing activity, in the reader's language."""
    language = current_language()
    catalogue = definition_texts.translations(language)
    return register.activity(procedure, site(), catalogue.gettext, language)


def site_text(name: str) -> str:
    """A text of the site config (``address``, ``phone``) in the reader's language."""
    return text(getattr(site(), name, None)) if site() is not None else ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        accessibility_status=accessibility_status,
        site_text=site_text,
        legal_site=site,
    )
