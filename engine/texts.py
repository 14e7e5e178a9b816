"""The texts the engine writes itself (reminders, clock alerts, messages), in the site's
language.

Msgids are English; the French catalogue is ``translations/fr/LC_MESSAGES/messages.po``,
extracted, updated and compiled with the same commands as the application's (README.md,
"Translations"). The compiled catalogue is read with the standard library's
:mod:`gettext`: no Flask here.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
from functools import cache
from pathlib import Path

TRANSLATIONS_FOLDER = Path(__file__).parent / "translations"
DOMAIN = "messages"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language``; the English msgids when none ships."""
    return _gettext.translation(DOMAIN, TRANSLATIONS_FOLDER, [language], fallback=True)


def clock_alert(language: str, reference: str, expires: dt.date) -> tuple[str, str]:
    """The agents' alert before the legal clock runs out: (subject, body). A subject that
    names a case starts with its reference."""
    from definitions import formats

    t = translations(language)
    values = {"reference": reference, "date": formats.date(expires, language)}
    return (
        f"{reference}: " + t.gettext("the legal deadline expires on %(date)s") % values,
        t.gettext(
            "Without a decision, the legal deadline of request %(reference)s expires on %(date)s."
        )
        % values,
    )


def deadline_reminder(
    language: str, reference: str, since: dt.datetime, timezone: str | None = None
) -> tuple[str, str]:
    """A ``remind`` deadline of the workflow: (subject, body); ``since``'s day in the site's
    ``timezone``."""
    t = translations(language)
    from definitions import formats

    values = {"reference": reference, "date": formats.date(since, language, timezone)}
    return (
        t.gettext("Reminder: %(reference)s") % values,
        t.gettext("Request %(reference)s has been waiting for an action since %(date)s.") % values,
    )


def new_message(language: str, reference: str) -> str:
    """The subject of the notification of a message about a case."""
    return translations(language).gettext("%(reference)s: new message") % {"reference": reference}


def citizen_reminder(language: str, reference: str) -> tuple[str, str]:
    """The citizen's "relance": (subject, the body when they wrote no comment)."""
    t = translations(language)
    values = {"reference": reference}
    return (
        t.gettext("Reminder from the citizen: %(reference)s") % values,
        t.gettext("The citizen is chasing up request %(reference)s.") % values,
    )


def greeting(language: str, name: str | None) -> str:
    """ "Bonjour Camille Martin," or, without a name, "Bonjour,"."""
    t = translations(language)
    if name and name.strip():
        return t.gettext("Hello %(name)s,") % {"name": " ".join(name.split())}
    return t.gettext("Hello,")


def clock_span(
    language: str, days: int | None, months: int | None, working_days: bool
) -> str:
    """The legal clock's length in words: "2 mois", "60 jours", "30 jours ouvrés"."""
    t = translations(language)
    if months:
        return t.ngettext("%(n)s month", "%(n)s months", months) % {"n": months}
    count = days or 0
    if working_days:
        return t.ngettext("%(n)s working day", "%(n)s working days", count) % {"n": count}
    return t.ngettext("%(n)s day", "%(n)s days", count) % {"n": count}


def receipt(
    language: str,
    title: str,
    paragraphs: tuple[str, ...],
    link: str | None,
    *,
    name: str | None = None,
    own: tuple[str, ...] = (),
) -> tuple[str, str]:
    """The acknowledgement of receipt of a request: (subject, body). ``paragraphs`` are
    its legal mentions (:func:`engine.receipts.receipt_paragraphs`: the day and reference
    first, the service in charge last), ``link`` the tracking link of an anonymous filer,
    ``name`` the filer's name for the greeting, ``own`` the procedure's own texts for the
    citizen at filing (told in this one mail, after the first paragraph)."""
    t = translations(language)
    first, *rest = paragraphs
    lines = [greeting(language, name), first]
    lines += [text.strip() for text in own if text and text.strip()]
    lines += rest[:-1]
    if link:
        lines.append(t.gettext("Follow your request: %(link)s") % {"link": link})
    lines.append(rest[-1])
    return (
        t.gettext("Acknowledgement of receipt: %(title)s") % {"title": title},
        "\n\n".join(lines),
    )


def redacted(language: str) -> str:
    """What stays of a message, a note or a reminder once its request is anonymised."""
    return translations(language).gettext(
        "Deleted: this request was anonymised at the end of its retention period."
    )
