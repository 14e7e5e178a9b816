"""Choices: choice (radios or a select), multichoice (check boxes), boolean (one box)."""

from __future__ import annotations

from wtforms.fields import Field as WTField
from wtforms.validators import StopValidation

from ..i18n import N_
from .base import FieldType, message, plural

#: ``choice`` shows radios up to this many options when the definition names no widget.
RADIO_LIMIT = 5


class ChoiceInput(WTField):
    """One option key (``data``), or None."""

    def process_data(self, value):
        self.data = None if value is None or value == "" else str(value)

    def process_formdata(self, valuelist):
        value = valuelist[0] if valuelist else None
        self.data = value if isinstance(value, str) and value != "" else None

    def _value(self) -> str:
        return self.data or ""


class MultiChoiceInput(WTField):
    """The list of ticked option keys (``data``)."""

    def process_data(self, value):
        if value is None:
            self.data = []
        elif isinstance(value, str):
            self.data = [value]
        else:
            self.data = [str(v) for v in value]

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if isinstance(v, str) and v != ""]


class BooleanInput(WTField):
    """A single check box: ``data`` is True when ticked."""

    false_values = ("", "false", "0", "off", "n", "no")

    def process_data(self, value):
        self.data = bool(value)

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and str(valuelist[0]).lower() not in self.false_values


class OneOf:
    def __init__(self, keys):
        self.keys = frozenset(keys)

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in self.keys for value in values):
            raise StopValidation(message(field, "Choose one of the options offered."))


class ItemCount:
    def __init__(self, minimum: int | None, maximum: int | None):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        count = len(set(field.data))
        if self.minimum is not None and count < self.minimum:
            raise StopValidation(
                plural(
                    field,
                    "Choose at least %(num)d option.",
                    "Choose at least %(num)d options.",
                    self.minimum,
                )
            )
        if self.maximum is not None and count > self.maximum:
            raise StopValidation(
                plural(
                    field,
                    "Choose at most %(num)d option.",
                    "Choose at most %(num)d options.",
                    self.maximum,
                )
            )


class ChoiceType(FieldType):
    type = "choice"
    required_message = N_("Choose an option.")
    client_readable = True
    input_class = ChoiceInput

    @property
    def widget(self) -> str:
        """``radio`` or ``select``: the definition's, else radios for a few options."""
        if self.field.widget in ("radio", "select"):
            return self.field.widget
        return "radio" if len(self.field.options) <= RADIO_LIMIT else "select"

    @property
    def macro(self) -> str:  # type: ignore[override]
        return "radios" if self.widget == "radio" else "select"

    @property
    def fieldset(self) -> bool:  # type: ignore[override]
        return self.widget == "radio"

    def choices(self) -> list[tuple[str, str]]:
        """``(key, label)`` of each option, in the definition's order and language."""
        return [(key, self.text(label) or key) for key, label in self.field.options.items()]

    def checks(self):
        return [OneOf(self.field.options)]

    def from_answer(self, value):
        return None if value is None else str(value)

    def anchor(self, form_field):
        if self.widget == "radio" and self.field.options:
            return f"{form_field.id}-0"  # the first radio
        return form_field.id


class MultichoiceType(ChoiceType):
    type = "multichoice"
    macro = "checkboxes"
    html_required = False
    fieldset = True
    required_message = N_("Choose at least one option.")
    input_class = MultiChoiceInput

    @property
    def widget(self) -> str:
        return "checkbox"

    def checks(self):
        checks = [OneOf(self.field.options)]
        if self.field.min_items is not None or self.field.max_items is not None:
            checks.append(ItemCount(self.field.min_items, self.field.max_items))
        return checks

    def to_answer(self, form_field):
        chosen = set(form_field.data or ())
        answer = [key for key in self.field.options if key in chosen]
        return answer or None

    def from_answer(self, value):
        if value is None:
            return []
        return [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]

    def anchor(self, form_field):
        return f"{form_field.id}-0" if self.field.options else form_field.id


class BooleanType(FieldType):
    type = "boolean"
    macro = "checkbox"
    input_type = "checkbox"
    required_message = N_("Tick this box to continue.")
    client_readable = True
    input_class = BooleanInput

    def is_empty(self, form_field):
        return not form_field.data

    def to_answer(self, form_field):
        return bool(form_field.data)

    def from_answer(self, value):
        return bool(value)
