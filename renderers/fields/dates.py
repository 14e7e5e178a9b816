"""Dates: one ``<input type="date">``.

Why one native input rather than day, month and year boxes: the native control is
keyboard- and screen-reader-operable in current browsers, gives one label, one hint and one
error to tie together, takes ``autocomplete="bday"`` and ``min``/``max`` (relative bounds are
resolved with the form's ``today``). Browsers without it show a text box: the server then
reads ``27/03/2007`` as well as ``2007-03-27``, and the hint gives the format (RGAA 11.10).
"""

from __future__ import annotations

import datetime as dt
import re

from wtforms.fields import Field as WTField
from wtforms.validators import StopValidation

from definitions import fieldtypes

from ..i18n import N_, format_date
from .base import FieldType, Parsed, field_language, message

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})")


def parse_date(text: str) -> dt.date:
    """``2007-03-27`` or ``27/03/2007`` (also with ``.`` or ``-``) as a date; ValueError."""
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return dt.date(int(year), int(month), int(day))


def form_today(form) -> dt.date:
    root = getattr(form, "root", form)
    return getattr(root, "today", None) or dt.date.today()


class DateInput(WTField):
    """``data`` is a date (None when empty or unreadable), ``raw`` what was typed."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.raw: str | None = None
        self.invalid = False

    def process_data(self, value):
        self.raw, self.invalid, self.data = None, False, None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            self.data = value
        elif isinstance(value, str) and value.strip():
            try:
                self.data = parse_date(value)
            except ValueError:
                self.raw, self.invalid = value, True

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        self.raw, self.invalid, self.data = raw or None, False, None
        if raw:
            try:
                self.data = parse_date(raw)
            except ValueError:
                self.invalid = True

    def _value(self) -> str:
        if self.data is not None:
            return self.data.isoformat()
        return self.raw or ""


class DateBounds:
    """``min`` and ``max`` of the definition (``today-18y``…), resolved with the form's today."""

    def __init__(self, minimum: str | None, maximum: str | None):
        self.minimum, self.maximum = minimum, maximum

    def limits(self, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        low = fieldtypes.resolve_date_bound(self.minimum, today) if self.minimum else None
        high = fieldtypes.resolve_date_bound(self.maximum, today) if self.maximum else None
        return low, high

    def __call__(self, form, field):
        if field.data is None:
            return
        low, high = self.limits(form_today(form))
        if (low is None or field.data >= low) and (high is None or field.data <= high):
            return
        language = field_language(field)
        if low is not None and high is not None:
            raise StopValidation(
                message(
                    field,
                    "Enter a date between %(min)s and %(max)s.",
                    min=format_date(low, language),
                    max=format_date(high, language),
                )
            )
        if low is not None:
            raise StopValidation(
                message(
                    field, "Enter a date on or after %(date)s.", date=format_date(low, language)
                )
            )
        raise StopValidation(
            message(field, "Enter a date on or before %(date)s.", date=format_date(high, language))
        )


class DateType(FieldType):
    type = "date"
    input_type = "date"
    required_message = N_("Enter a date.")
    client_readable = True
    input_class = DateInput

    def checks(self):
        return [
            Parsed("Enter a real date, such as 27/03/2007."),
            DateBounds(self.field.min, self.field.max),
        ]

    def to_answer(self, form_field):
        if form_field.invalid or form_field.data is None:
            return None
        return form_field.data.isoformat()

    def from_answer(self, value):
        if isinstance(value, str) and fieldtypes.is_iso_date(value):
            return dt.date.fromisoformat(value)
        return value

    def initial(self, today):
        default = self.field.default
        if isinstance(default, str):
            return fieldtypes.resolve_date_bound(default, today)
        return None

    def format_hint(self, form):
        return form.gettext("Format: dd/mm/yyyy, for example 27/03/2007")

    def attributes(self, form_field, form):
        low, high = DateBounds(self.field.min, self.field.max).limits(form_today(form))
        attributes = {}
        if low is not None:
            attributes["min"] = low.isoformat()
        if high is not None:
            attributes["max"] = high.isoformat()
        return attributes
