"""Translations of what this package writes, and how numbers, dates and sizes read.

Every sentence the renderers show goes through a translations object with ``gettext`` and
``ngettext`` (the WTForms protocol; Flask-Babel's, Babel's and the standard library's
objects fit), with English msgids. The French catalogue is a gettext catalogue like the
application's: ``translations/fr/LC_MESSAGES/messages.po``, compiled to ``messages.mo``
beside it, extracted with the same command (README.md, "Translations").
:func:`load_translations` reads the compiled catalogue with the standard library's
:mod:`gettext`: no Flask and no Babel at run time.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
from functools import cache
from pathlib import Path
from typing import Any, Protocol

TRANSLATIONS_FOLDER = Path(__file__).parent / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a msgid kept in data (a class attribute, a dict) for extraction; translated
    where it is shown."""
    return message


class Translations(Protocol):
    def gettext(self, string: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class English:
    """The msgids themselves: what is shown when no catalogue is given."""

    language = "en"

    def gettext(self, string: str) -> str:
        return string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


ENGLISH = English()


@cache
def load_translations(language: str) -> Translations:
    """The shipped catalogue of ``language`` (``fr``), or the English msgids when none ships."""
    try:
        return _gettext.translation(DOMAIN, TRANSLATIONS_FOLDER, [language])
    except OSError:
        return ENGLISH


def catalog_path(language: str = "fr") -> Path:
    """Where the catalogue (.po) of ``language`` is."""
    return TRANSLATIONS_FOLDER / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# -- how values read in messages --------------------------------------------------------


def language_of(translations: Any) -> str:
    """The language a translations object speaks, as far as it says (default: French)."""
    language = getattr(translations, "language", None)
    if isinstance(language, str):
        return language
    info = getattr(translations, "_info", None)  # gettext and Babel catalogs: PO headers
    if isinstance(info, dict) and info.get("language"):
        return str(info["language"]).replace("-", "_").split("_")[0]
    return "fr"


def format_number(value: int | float, language: str = "fr") -> str:
    """``1234.5`` as ``1234,5`` in French, ``1234.5`` in English (no grouping: it is what
    the citizen would type)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text.replace(".", ",") if language == "fr" else text


def format_date(value: dt.date, language: str = "fr") -> str:
    """A date as the citizen reads it: ``27/03/2007`` (French order, also used in English
    since the forms are French-first)."""
    return value.strftime("%d/%m/%Y")


def format_size(size: int, gettext, language: str = "fr") -> str:
    """``5000000`` as ``5 Mo`` (French) or ``5 MB``: decimal units, as in the definitions."""

    def amount(factor: int) -> dict[str, str]:
        return {"num": format_number(round(size / factor, 1), language)}

    if size >= 1000**3:
        return gettext("%(num)s GB") % amount(1000**3)
    if size >= 1000**2:
        return gettext("%(num)s MB") % amount(1000**2)
    if size >= 1000:
        return gettext("%(num)s KB") % amount(1000)
    return gettext("%(num)s bytes") % {"num": size}
