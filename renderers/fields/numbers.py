"""Numbers: integer, decimal.

Typed in a text input with ``inputmode`` (not ``type=number``, whose spinner and silent
rounding are hard to use), read the French way too: ``1 200,50`` is 1200.5.
"""

from __future__ import annotations

import math
import re

from wtforms.fields import Field as WTField

from ..i18n import N_, format_number, language_of
from .base import FieldType, Parsed, Range

_SEPARATORS = re.compile(r"[\s\u00a0\u202f']")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_number(text: str, integer: bool) -> int | float:
    """``text`` as a number; ValueError when it is not one."""
    compact = _SEPARATORS.sub("", text).replace(",", ".")
    if integer:
        if _INTEGER.fullmatch(compact):
            return int(compact)
        raise ValueError(text)
    if _DECIMAL.fullmatch(compact):
        value = float(compact)
        if math.isfinite(value):
            return value
    raise ValueError(text)


class NumberInput(WTField):
    """A number typed as text. ``data`` is the number (None when empty or unreadable),
    ``raw`` what was typed, ``invalid`` whether it did not parse."""

    def __init__(self, label=None, validators=None, integer: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.integer = integer
        self.raw: str | None = None
        self.invalid = False

    def process_data(self, value):
        self.raw, self.invalid = None, False
        if isinstance(value, str) and value.strip():
            try:
                value = parse_number(value, self.integer)
            except ValueError:
                self.raw, self.invalid, value = value, True, None
        self.data = (
            value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        )

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        self.raw, self.invalid, self.data = raw or None, False, None
        if raw:
            try:
                self.data = parse_number(raw, self.integer)
            except ValueError:
                self.invalid = True

    def _value(self) -> str:
        if self.raw is not None:
            return self.raw
        if self.data is None:
            return ""
        return format_number(self.data, language_of(self._translations))


class IntegerType(FieldType):
    type = "integer"
    default_inputmode = "numeric"
    required_message = N_("Enter a number.")
    client_readable = True
    input_class = NumberInput

    def input_options(self):
        return {"integer": True}

    def checks(self):
        return [Parsed("Enter a whole number, such as 12."), Range(self.field.min, self.field.max)]

    def to_answer(self, form_field):
        if form_field.invalid or form_field.data is None:
            return None
        return int(form_field.data)


class DecimalType(IntegerType):
    type = "decimal"
    # "decimal", not "numeric": iOS's numeric keypad has no decimal separator
    default_inputmode = "decimal"

    def input_options(self):
        return {"integer": False}

    def checks(self):
        return [Parsed("Enter a number, such as 12.5."), Range(self.field.min, self.field.max)]

    def to_answer(self, form_field):
        if form_field.invalid or form_field.data is None:
            return None
        return float(form_field.data)
