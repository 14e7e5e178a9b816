"""What every template of the application may call: the current language, the authority's
name, texts, a checker's problems, days and moments (Jinja globals), and values as people read
them (Jinja filters)."""

from __future__ import annotations

from flask import Flask

from .formatting import FORMAT_FILTERS, format_day, format_moment
from .language import authority_name, current_language, problem_text, text


def identity_providers() -> tuple[str, ...]:
    """The identity providers the site config declares (``franceconnect``, ``proconnect``):
    their buttons are shown only then."""
    from .services import services

    site = services().runtime.site
    return tuple(site.identity) if site is not None else ()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        current_language=current_language,
        authority_name=authority_name,
        text=text,
        problem_text=problem_text,
        format_date=format_day,
        format_datetime=format_moment,
        identity_providers=identity_providers,
    )
    app.jinja_env.filters.update(FORMAT_FILTERS)
    site = app.extensions["guichet"].runtime.site
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", site.timezone if site else "Europe/Paris")
