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


def clock_alert(language: str, reference: str, expires: str) -> tuple[str, str]:
    """The agents' alert before the legal clock runs out: (subject, body). A subject that
    names a case starts with its reference."""
    t = translations(language)
    values = {"reference": reference, "date": expires}
    return (
        f"{reference}: " + t.gettext("the legal deadline expires on %(date)s") % values,
        t.gettext(
            "Without a decision, the legal deadline of request %(reference)s expires on %(date)s."
        )
        % values,
    )


def deadline_reminder(language: str, reference: str, since: dt.datetime) -> tuple[str, str]:
    """A ``remind`` deadline of the workflow: (subject, body)."""
    t = translations(language)
    values = {"reference": reference, "date": f"{since:%d/%m/%Y}"}
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


def receipt(
    language: str,
    title: str,
    reference: str,
    submitted: dt.date,
    expires: dt.date | None,
    link: str | None,
) -> tuple[str, str]:
    """The acknowledgement of receipt of a request: (subject, body). ``expires`` is the day
    the legal deadline runs out, ``link`` the tracking link of an anonymous filer."""
    from babel.dates import format_date

    t = translations(language)
    lines = [
        t.gettext("We have received your request %(reference)s on %(date)s.")
        % {"reference": reference, "date": format_date(submitted, "long", locale=language)}
    ]
    if expires is not None:
        lines.append(
            t.gettext(
                "Without an answer from us by %(date)s, the legal deadline will have expired."
            )
            % {"date": format_date(expires, "long", locale=language)}
        )
    if link:
        lines.append(t.gettext("Follow your request: %(link)s") % {"link": link})
    return (
        t.gettext("Acknowledgement of receipt: %(title)s") % {"title": title},
        "\n\n".join(lines),
    )
