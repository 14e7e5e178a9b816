"""Texts and dates for people, in the current language: a definition's texts (the site's
first language as fallback), a checker's problems, the authority's name, days and moments."""

from __future__ import annotations

import unicodedata

from flask_babel import get_locale

from definitions import texts as definition_texts

from .services import services


def current_language() -> str:
    return str(get_locale() or "fr")


def problem_text(problem) -> str:
    """A checker's problem in the current language."""
    return problem.text(definition_texts.translations(current_language()))


def text(value, language: str | None = None) -> str:
    """A definition's text (one or several languages) in the current language."""
    if value is None:
        return ""
    fallback = services().runtime.site.languages[0] if services().runtime.site else "fr"
    return value.get(language or current_language(), fallback)


def authority_name() -> str:
    site = services().runtime.site
    return text(site.authority) if site else "Guichet"


def fold(value: str) -> str:
    """Lower case without accents, for searching and for sorting names."""
    return "".join(
        c for c in unicodedata.normalize("NFD", value.casefold()) if unicodedata.category(c) != "Mn"
    )
