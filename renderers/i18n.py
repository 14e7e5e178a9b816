"""Translations of what this package writes, and how numbers, dates and sizes read.

Every sentence the renderers show goes through a translations object with ``gettext`` and
``ngettext`` (the WTForms protocol; Flask-Babel's and Babel's objects fit), with English
msgids. The French catalog ships as ``translations/messages_fr.json`` ({msgid: french});
:func:`load_translations` turns such a file into a translations object, for apps that do
not merge it into their own gettext catalogs.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any, Protocol

TRANSLATIONS_FOLDER = Path(__file__).parent / "translations"


class Translations(Protocol):
    def gettext(self, string: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class English:
    """The msgids themselves: what is shown when no catalog is given."""

    language = "en"

    def gettext(self, string: str) -> str:
        return string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


ENGLISH = English()

#: Whether ``n`` takes the plural form, by language (French: 0 and 1 are singular).
_PLURAL_RULES = {"fr": lambda n: n > 1}


class CatalogTranslations:
    """Translations read from a ``{msgid: translation}`` mapping.

    A plural message is two entries: its singular msgid and its plural msgid, each mapped
    to the translated form; the language's own rule picks which one applies.
    """

    def __init__(self, catalog: dict[str, str], language: str):
        self.catalog = dict(catalog)
        self.language = language
        self._plural = _PLURAL_RULES.get(language, lambda n: n != 1)

    def gettext(self, string: str) -> str:
        return self.catalog.get(string) or string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._plural(n):
            return self.catalog.get(plural) or plural
        return self.catalog.get(singular) or singular


@cache
def load_translations(language: str) -> Translations:
    """The shipped catalog of ``language`` (``fr``), or the English msgids when none ships."""
    path = TRANSLATIONS_FOLDER / f"messages_{language}.json"
    if not path.is_file():
        return ENGLISH
    return CatalogTranslations(json.loads(path.read_text("utf-8")), language)


def catalog_path(language: str = "fr") -> Path:
    """Where the catalog of ``language`` is, for apps that merge it into their own."""
    return TRANSLATIONS_FOLDER / f"messages_{language}.json"


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
