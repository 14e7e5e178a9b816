"""Text family: text, textarea, email, phone, siret, iban."""

from __future__ import annotations

import re

from wtforms.fields import StringField, TextAreaField

from definitions import fieldtypes

from .base import Check, FieldType, Length, Pattern


def strip(value):
    return value.strip() if isinstance(value, str) else value


class TextType(FieldType):
    type = "text"
    macro = "input"
    client_readable = True
    input_class = StringField

    def input_options(self):
        return {"filters": [strip]}

    def checks(self):
        checks = []
        if self.field.min_length is not None or self.field.max_length is not None:
            checks.append(Length(self.field.min_length, self.field.max_length))
        if self.field.pattern:
            checks.append(Pattern(self.field.pattern, self.field.pattern_message, self.language))
        return checks


class TextareaType(TextType):
    type = "textarea"
    macro = "textarea"
    input_class = TextAreaField

    def checks(self):
        if self.field.min_length is None and self.field.max_length is None:
            return []
        return [Length(self.field.min_length, self.field.max_length)]


class EmailType(TextType):
    type = "email"
    input_type = "email"
    default_autocomplete = "email"
    default_inputmode = "email"

    def checks(self):
        return [
            Check(
                fieldtypes.is_email,
                "Enter an email address in the right format, such as name@example.fr.",
            )
        ]

    def format_hint(self, form):
        return form.gettext("Format: name@example.fr")

    def attributes(self, form_field, form):
        return {"spellcheck": "false", "autocapitalize": "off"}


class PhoneType(TextType):
    type = "phone"
    input_type = "tel"
    default_autocomplete = "tel"
    default_inputmode = "tel"

    def checks(self):
        region = self.field.region
        return [
            Check(
                lambda value: fieldtypes.is_phone(value, region),
                "Enter a valid phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78.",
            )
        ]

    def format_hint(self, form):
        if self.field.region == "FR":
            return form.gettext("For example: 06 12 34 56 78")
        return form.gettext("For example: +33 6 12 34 56 78")


_NOT_DIGITS = re.compile(r"[\s.\-\u00a0\u202f]")


class SiretType(TextType):
    type = "siret"
    default_inputmode = "numeric"

    def checks(self):
        return [
            Check(
                lambda value: bool(re.fullmatch(r"\d{14}", _NOT_DIGITS.sub("", value))),
                "A SIRET number has 14 digits.",
            ),
            Check(
                lambda value: fieldtypes.is_siret(_NOT_DIGITS.sub("", value)),
                "This SIRET number is not valid: check each digit.",
            ),
        ]

    def format_hint(self, form):
        return form.gettext("14 digits, for example: 123 456 789 00012")

    def to_answer(self, form_field):
        answer = super().to_answer(form_field)
        return _NOT_DIGITS.sub("", answer) if answer else answer


class IbanType(TextType):
    type = "iban"

    def checks(self):
        return [
            Check(
                fieldtypes.is_iban,
                "Enter a valid IBAN, such as FR76 3000 6000 0112 3456 7890 189.",
            )
        ]

    def format_hint(self, form):
        return form.gettext("For example: FR76 3000 6000 0112 3456 7890 189")

    def attributes(self, form_field, form):
        return {"spellcheck": "false", "autocapitalize": "characters"}
