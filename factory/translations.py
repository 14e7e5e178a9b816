"""Translations the renderers' forms use, in the current language."""

from __future__ import annotations

from functools import cache

import renderers

from .language import current_language


@cache
def _translations(language: str):
    return renderers.load_translations(language)


def form_translations():
    """The gettext/ngettext object for the forms built by the renderers."""
    return _translations(current_language())
