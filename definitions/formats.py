"""Values as people read them, in their language: amounts, numbers, dates, times, phone
numbers, countries and addresses.

One home for every formatting of a value that a person reads — pages, mails, documents,
exports, dashboards — and for the `{{ }}` filters of the procedure format (`amount`,
`number`, `date`, `datetime`, `phone`). Everything leans on Babel (CLDR data) and
phonenumbers; nothing here is hand-written locale knowledge.

Every function takes the reader's language (`"fr"`, `"en"`, or a locale such as `"fr_BE"`)
and, for moments, the time zone of the site. A value that cannot be read as what is asked
is returned as text, unchanged: formatting never fails on what an administrator or a
citizen wrote.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

DEFAULT_LANGUAGE = "fr"
DEFAULT_TIMEZONE = "Europe/Paris"
CURRENCY = "EUR"

#: The `{{ }}` filters that format values (see procedure-format.md, "Filters").
FILTERS = ("amount", "number", "date", "datetime", "phone")


def locale(language: str | None) -> Locale:
    """The Babel locale of a language code (`fr`, `en`, `fr-BE`, `fr_BE`); French when unknown."""
    try:
        return Locale.parse((language or DEFAULT_LANGUAGE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LANGUAGE)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        text = str(value).strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        number = Decimal(text.replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def amount(value: Any, decimals: int | None = None, language: str | None = None) -> str:
    """`20000` → `20 000 €`; `amount(2)` keeps two decimals: `25 000,50 €`.

    Without `decimals`, whole amounts show no decimals and others show two."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 2
    decimals = max(0, min(int(decimals), 6))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0¤"
    where = locale(language)
    if where.language == "en":
        pattern = "¤#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_currency(
        number, CURRENCY, format=pattern, locale=where, currency_digits=False
    )


def number(value: Any, language: str | None = None) -> str:
    """`1250.5` → `1 250,5` (French), `1,250.5` (English)."""
    parsed = _decimal(value)
    if parsed is None:
        return "" if value is None else str(value)
    if parsed == parsed.to_integral_value():
        parsed = parsed.quantize(Decimal(1))
    return babel_numbers.format_decimal(parsed, locale=locale(language), decimal_quantization=False)


def _moment(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text or " " in text:
                return dt.datetime.fromisoformat(text)
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _local(moment: dt.datetime, timezone: str | None) -> dt.datetime:
    zone = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    if moment.tzinfo is None:  # stored moments are UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone)


def date(value: Any, language: str | None = None, timezone: str | None = None) -> str:
    """`2026-12-08` → `8 décembre 2026` (`December 8, 2026` in English)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    if isinstance(moment, dt.datetime):
        moment = _local(moment, timezone).date()
    return babel_dates.format_date(moment, "long", locale=locale(language))


def time(value: Any, language: str | None = None, timezone: str | None = None) -> str:
    """`14:05` in the site's time zone."""
    moment = _moment(value)
    if not isinstance(moment, dt.datetime):
        return "" if value is None else str(value)
    return babel_dates.format_time(_local(moment, timezone), "short", locale=locale(language))


def datetime(value: Any, language: str | None = None, timezone: str | None = None) -> str:
    """`8 décembre 2026 à 14:05` in the site's time zone (`December 8, 2026 at 2:05 PM`)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    if not isinstance(moment, dt.datetime):
        return date(moment, language)
    local = _local(moment, timezone)
    where = locale(language)
    # CLDR's "at time" pattern: "{1} 'à' {0}" in French, "{1} 'at' {0}" in English
    pattern = where.datetime_formats_relative.get("long") or where.datetime_formats["long"]
    return pattern.replace("'", "").format(
        babel_dates.format_time(local, "short", locale=where),
        babel_dates.format_date(local, "long", locale=where),
    )


def phone(value: Any, region: str = "FR") -> str:
    """`+33612345678` → `06 12 34 56 78`; a foreign number in its international form."""
    if value is None:
        return ""
    try:
        parsed = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        return str(value)
    if not phonenumbers.is_possible_number(parsed):
        return str(value)
    if phonenumbers.region_code_for_number(parsed) == region:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def country(code: Any, language: str | None = None) -> str:
    """`FR` → `France`, `DE` → `Allemagne` (`Germany` in English)."""
    if not isinstance(code, str) or not code:
        return "" if code is None else str(code)
    return locale(language).territories.get(code.upper(), code)


def address_lines(value: Any, language: str | None = None, home: str = "FR") -> list[str]:
    """An address as the lines of an envelope: street, then postcode and city, then the
    country by name when it is not the site's own."""
    if not isinstance(value, dict):
        return [] if value is None else [str(value)]
    lines = [str(value["street"])] if value.get("street") else []
    town = " ".join(str(value[k]) for k in ("postcode", "city") if value.get(k))
    if town:
        lines.append(town)
    if value.get("country") and str(value["country"]).upper() != home:
        lines.append(country(value["country"], language))
    return lines
