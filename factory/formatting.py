"""Values as the current reader reads them (definitions.formats in the request's language
and the site's time zone), and the Jinja filters of every page that show them."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from definitions import formats

from .language import current_language
from .services import services


def site_timezone() -> str:
    site = services().runtime.site
    return site.timezone if site else formats.DEFAULT_TIMEZONE


def format_day(value) -> str:
    """`8 décembre 2026` in the reader's language (a moment: its day in the site's zone)."""
    return formats.date(value, current_language(), site_timezone()) if value else ""


def format_moment(value) -> str:
    """`8 décembre 2026 à 14:05`, in the site's time zone."""
    return formats.datetime(value, current_language(), site_timezone()) if value else ""


#: Days left from which a deadline reads as close.
SOON_DAYS = 5


def days_left(due: dt.date, today: dt.date) -> tuple[str, str]:
    """How far the day ``due`` is from ``today``, in words ("3 jours restants", "échéance
    aujourd'hui", "2 jours de retard"), and its level: ``late``, ``soon`` (today or within
    ``SOON_DAYS``) or ``later``. The inbox and the case page both say it so."""
    days = (due - today).days
    if days < 0:
        return ngettext("%(num)d day late", "%(num)d days late", -days), "late"
    if days == 0:
        return _("due today"), "soon"
    words = ngettext("%(num)d day left", "%(num)d days left", days)
    return words, "soon" if days <= SOON_DAYS else "later"


def format_amount(value, decimals: int | None = None) -> str:
    """`20 000 €`; `amount(2)`: `25 000,50 €`."""
    return formats.amount(value, decimals, current_language())


def format_number(value) -> str:
    return formats.number(value, current_language())


def format_phone(value) -> str:
    return formats.phone(value)


def format_country(value) -> str:
    return formats.country(value, current_language())


def format_address(value) -> list[str]:
    """An address as its lines (street; postcode and city; the country by name if foreign)."""
    return formats.address_lines(value, current_language())


def paragraphs(value) -> Markup:
    """A text written for a mail (a notification) as HTML paragraphs: escaped, line breaks
    kept, web addresses as links (as in the mail's HTML part)."""
    from connectors.email import html_paragraph

    parts = str(value or "").split("\n\n")
    return Markup("".join(html_paragraph(p) for p in parts if p.strip()))  # noqa: S704 - escaped


#: The Jinja filters of every page: values as people read them (definitions.formats).
FORMAT_FILTERS = {
    "date": format_day,
    "datetime": format_moment,
    "amount": format_amount,
    "number": format_number,
    "phone": format_phone,
    "country": format_country,
    "address_lines": format_address,
    "paragraphs": paragraphs,
}
