"""The checker's messages in the reader's language.

A :class:`~definitions.errors.Problem` keeps its English message (what ``str()`` and the
command line print) and, when its call site gave one, the msgid and values it was made of,
so that a display renders it in another language with :func:`translations`. Msgids are
marked with :func:`N_`; the French catalogue is ``translations/fr/LC_MESSAGES/messages.po``,
extracted, updated and compiled with the application's commands (README.md, "Translations").
It is read with the standard library's :mod:`gettext`: no Flask here.
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import cache
from pathlib import Path

TRANSLATIONS_FOLDER = Path(__file__).parent / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where the problem is shown."""
    return message


#: The variables gettext reads, in its order, when no language is given.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def translations(language: str | None = None) -> _gettext.NullTranslations:
    """The catalogue of ``language``; with ``None``, of the language the environment names
    (the command line: English unless ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``
    says otherwise); the English msgids when no catalogue ships for it."""
    if language:
        return _catalogue((language,))
    for variable in LOCALE_VARIABLES:
        value = os.environ.get(variable)
        if value:
            languages = [part.split(".")[0] for part in value.split(":") if part]
            return _catalogue(tuple(languages))
    return _catalogue(("en",))


@cache
def _catalogue(languages: tuple[str, ...]) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, TRANSLATIONS_FOLDER, list(languages), fallback=True)


class Count(int):
    """A number people read with its thousands grouped (``50,000``; ``50 000`` in French)."""

    def grouped(self, language: str) -> str:
        text = f"{int(self):,}"
        return text.replace(",", "\u202f") if language == "fr" else text


class Msgid(str):
    """A value that is itself a msgid (``Msgid(N_("a number"))``): translated with the
    message it fills."""


class Phrase(str):
    """A part of a message made of its own msgid and values (``Phrase(N_("the text
    %(text)s"), text=...)``): its English text as a ``str``, translated with the message
    it fills. ``Phrase("")`` is the empty part."""

    def __new__(cls, msgid: str = "", /, **params):
        phrase = super().__new__(cls, render(msgid, params) if msgid else "")
        phrase.msgid, phrase.params = msgid, params
        return phrase

    def translated(self, catalogue) -> str:
        return render(self.msgid, self.params, catalogue) if self.msgid else ""


def joined(parts: list, msgid: str) -> Phrase:
    """``parts`` joined two by two with ``msgid``, a msgid of ``%(first)s`` and
    ``%(rest)s`` (``N_("%(first)s or %(rest)s")``): ``'a' or 'b' or 'c'``."""
    phrase = Phrase("%(part)s", part=parts[-1])
    for part in reversed(parts[:-1]):
        phrase = Phrase(msgid, first=part, rest=phrase)
    return phrase


def language_of(catalogue: _gettext.NullTranslations) -> str:
    info = getattr(catalogue, "_info", {})
    return str(info.get("language") or "en").replace("-", "_").split("_")[0]


def render(msgid: str, params: dict, catalogue: _gettext.NullTranslations | None = None) -> str:
    """``msgid`` translated by ``catalogue`` (English without one), filled with ``params``."""
    language = language_of(catalogue) if catalogue is not None else "en"
    template = catalogue.gettext(msgid) if catalogue is not None else msgid
    values = {k: _value(v, language, catalogue) for k, v in params.items()}
    return template % values if values else template


def _value(value, language: str, catalogue) -> object:
    if isinstance(value, Count):
        return value.grouped(language)
    if isinstance(value, Phrase):
        return value.translated(catalogue) if catalogue is not None else str(value)
    if isinstance(value, Msgid) and catalogue is not None:
        return catalogue.gettext(value)
    return value
