"""The built-in field types, one class per ``type`` (see :class:`fieldtypes.FieldType`).

Their widgets are in :mod:`renderers.fields`, under the same names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers
from babel.numbers import format_decimal
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from . import fieldtypes as ft
from . import formats
from .model import Field
from .texts import N_

_COUNT = {"$ref": "#/$defs/count"}
_POSITIVE = {"$ref": "#/$defs/positive"}
_TEXT = {"$ref": "#/$defs/text"}
_DATE_BOUND = {"$ref": "#/$defs/date_bound"}


def _text(value, language: str) -> str:
    return value.get(language, "fr") if value is not None else ""


def _locale(language: str) -> str:
    return language if language in ("fr", "en") else "fr"


def _bounded(schema: dict[str, Any], field: Field, low: str, high: str) -> dict[str, Any]:
    if field.min is not None:
        schema[low] = field.min
    if field.max is not None:
        schema[high] = field.max
    return schema


class TextField(ft.FieldType):
    name = "text"
    settings = {
        "min_length": _COUNT,
        "max_length": _POSITIVE,
        "pattern": {"type": "string", "minLength": 1},
        "pattern_message": _TEXT,
    }

    def value_schema(self, field):
        schema = {
            "type": "string",
            "minLength": max(field.min_length or 0, 1 if field.required else 0),
        }
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.pattern:
            schema["pattern"] = f"^(?:{field.pattern})$"
        return schema


class TextareaField(TextField):
    name = "textarea"
    settings = {"min_length": _COUNT, "max_length": _POSITIVE}


class _FormattedText(ft.FieldType):
    """A text checked by a JSON Schema ``format`` named after the type."""

    def value_schema(self, field):
        return {"type": "string", "format": self.name}


class EmailField(_FormattedText):
    name = "email"
    formats = {"email": ft.is_email}

    def normalise(self, field, value):
        return value.lower() if ft.is_email(value) else value


class PhoneField(ft.FieldType):
    name = "phone"
    settings = {"region": {"type": "string", "pattern": "^[A-Z]{2}$"}}

    def check_settings(self, data, error):
        if "region" in data and data["region"] not in phonenumbers.SUPPORTED_REGIONS:
            error(
                "region",
                N_("%(value)s is not a country code known for phone numbers"),
                value=repr(data["region"]),
            )

    def value_schema(self, field):
        return {"type": "string", "phoneRegion": field.region}

    def normalise(self, field, value):
        if ft.is_phone(value, field.region):
            number = phonenumbers.parse(value, field.region)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return value

    def display(self, field, value, **options):
        return formats.phone(value, field.region or "FR")


#: Units that make a number an amount of money (`20 000 €`).
_CURRENCY_UNITS = frozenset({"€", "eur", "euro", "euros"})


class IntegerField(ft.FieldType):
    name = "integer"
    json_type = "integer"
    settings = {"min": {"type": "integer"}, "max": {"type": "integer"}, "unit": _TEXT}

    def value_schema(self, field):
        return _bounded({"type": self.json_type}, field, "minimum", "maximum")

    def display(self, field, value, *, language="fr", **options):
        unit = field.unit.get(language) if field.unit else ""
        if unit.strip().lower() in _CURRENCY_UNITS:
            return formats.amount(value, language=language)
        shown = formats.number(value, language)
        return f"{shown}\u00a0{unit}" if unit else shown


class DecimalField(IntegerField):
    name = "decimal"
    json_type = "number"
    settings = {"min": {"type": "number"}, "max": {"type": "number"}, "unit": _TEXT}


class DateField(_FormattedText):
    name = "date"
    settings = {"min": _DATE_BOUND, "max": _DATE_BOUND}
    structured_keys = frozenset({"year", "month", "day"})
    checks_default_shape = False
    formats = {"date": ft.is_iso_date}

    def check_settings(self, data, error):
        for key in ("min", "max"):
            if key in data and not is_date_bound(data[key]):
                error(key, N_("%(value)s is not a real date"), value=repr(data[key]))
        if "default" in data and not (
            isinstance(data["default"], str) and is_date_bound(data["default"])
        ):
            from .schemas import describe

            error(
                "default",
                N_(
                    "the default (%(value)s) is not a date (YYYY-MM-DD), 'today' or "
                    "'today+30d' / 'today-18y'"
                ),
                value=describe(data["default"]),
            )

    def value_schema(self, field):
        return _bounded(super().value_schema(field), field, "formatMinimum", "formatMaximum")

    def expression_value(self, value):
        if isinstance(value, str) and ft.is_iso_date(value):
            return dt.date.fromisoformat(value)
        return value

    def display(self, field, value, *, language="fr", **options):
        return formats.date(value, _locale(language))


class ChoiceField(ft.FieldType):
    name = "choice"
    settings = {"options": {"$ref": "#/$defs/options"}, "widget": {"enum": ["radio", "select"]}}
    required_settings = ("label", "options")
    checks_default_shape = False

    def check_settings(self, data, error):
        if "default" in data and str(data["default"]) not in data["options"]:
            from .schemas import suggestion

            error(
                "default",
                N_("the default %(value)s is not one of the options%(hint)s"),
                value=repr(data["default"]),
                hint=suggestion(str(data["default"]), data["options"]),
            )

    def value_schema(self, field):
        return {"type": "string", "enum": list(field.options)}

    def display(self, field, value, *, language="fr", **options):
        option = field.options.get(str(value))
        return _text(option, language) if option else str(value)


class MultichoiceField(ft.FieldType):
    name = "multichoice"
    settings = {
        "options": {"$ref": "#/$defs/options"},
        "min_items": _COUNT,
        "max_items": _POSITIVE,
    }
    required_settings = ("label", "options")
    single_value = False

    def value_schema(self, field):
        schema = {"type": "array", "uniqueItems": True, "items": {"enum": list(field.options)}}
        if field.required:
            schema["minItems"] = max(field.min_items or 0, 1)
        elif field.min_items:
            schema["minItems"] = field.min_items
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
        return schema

    def display(self, field, value, *, language="fr", **options):
        return ", ".join(
            _text(field.options[v], language) if v in field.options else str(v) for v in value
        )


class BooleanField(ft.FieldType):
    name = "boolean"

    def value_schema(self, field):
        return {"const": True} if field.required else {"type": "boolean"}

    def display(self, field, value, *, gettext=ft._english, **options):
        return gettext("Yes") if value else gettext("No")


class FileField(ft.FieldType):
    name = "file"
    settings = {
        "accept": {
            "description": N_("a MIME type or a list of MIME types"),
            "anyOf": [
                {"type": "string"},
                {"type": "array", "minItems": 1, "items": {"type": "string"}},
            ],
        },
        "max_size": {"$ref": "#/$defs/size"},
        "multiple": {"type": "boolean"},
    }
    single_value = False
    checks_default_shape = False

    def value_schema(self, field):
        one = {"type": "string", "minLength": 1}
        return {"type": "array", "items": one, "minItems": 1} if field.multiple else one

    def display(self, field, value, *, gettext=ft._english, attachments=None, **options):
        ids = value if isinstance(value, list) else [value]
        names = attachments or {}
        return ", ".join(names.get(i, gettext("file")) for i in ids)


class AddressField(ft.FieldType):
    name = "address"
    settings = {
        "search": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_-]*$",
            "description": N_(
                "the prefill source (of type ban) that suggests addresses as one types"
            ),
        }
    }
    structured_keys = frozenset({"street", "postcode", "city", "country"})
    single_value = False

    def value_schema(self, field):
        text = {"type": "string", "minLength": 1}
        return {
            "type": "object",
            "required": ["street", "postcode", "city"],
            "additionalProperties": False,
            "properties": {
                "street": text,
                "postcode": text,
                "city": text,
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            },
            # French postcodes have five digits
            "if": {
                "anyOf": [
                    {"not": {"required": ["country"]}},
                    {"properties": {"country": {"const": "FR"}}},
                ]
            },
            "then": {"properties": {"postcode": {"pattern": "^[0-9]{5}$"}}},
        }

    def display(self, field, value, *, language="fr", **options):
        if not isinstance(value, dict):
            return super().display(field, value, language=language, **options)
        # the lines of an envelope, on one line: the country by name, unless it is France
        return ", ".join(formats.address_lines(value, _locale(language)))


class SiretField(_FormattedText):
    name = "siret"
    formats = {"siret": ft.is_siret}

    def normalise(self, field, value):
        return stdnum_siret.compact(value)


class IbanField(_FormattedText):
    name = "iban"
    formats = {"iban": ft.is_iban}

    def normalise(self, field, value):
        return stdnum_iban.compact(value)


class LocationField(ft.FieldType):
    name = "location"
    settings = {
        "bounds": {
            "type": "object",
            "required": ["south", "west", "north", "east"],
            "additionalProperties": False,
            "properties": {
                "south": {"type": "number"},
                "west": {"type": "number"},
                "north": {"type": "number"},
                "east": {"type": "number"},
            },
        }
    }
    structured_keys = frozenset({"lat", "lon"})
    single_value = False

    def check_settings(self, data, error):
        if "bounds" in data:
            b = data["bounds"]
            if not (-90 <= b["south"] < b["north"] <= 90 and -180 <= b["west"] < b["east"] <= 180):
                error(
                    "bounds",
                    N_(
                        "bounds must have south < north (within -90..90) and west < east "
                        "(within -180..180)"
                    ),
                )

    def value_schema(self, field):
        bounds = field.bounds
        lat: dict[str, Any] = {"type": "number", "minimum": -90, "maximum": 90}
        lon: dict[str, Any] = {"type": "number", "minimum": -180, "maximum": 180}
        if bounds:
            lat = {"type": "number", "minimum": bounds.south, "maximum": bounds.north}
            lon = {"type": "number", "minimum": bounds.west, "maximum": bounds.east}
        return {
            "type": "object",
            "required": ["lat", "lon"],
            "additionalProperties": False,
            "properties": {"lat": lat, "lon": lon},
        }

    def display(self, field, value, *, language="fr", **options):
        if not isinstance(value, dict):
            return super().display(field, value, language=language, **options)
        locale = _locale(language)
        return (
            f"{format_decimal(value.get('lat'), locale=locale)}, "
            f"{format_decimal(value.get('lon'), locale=locale)}"
        )


class GroupField(ft.FieldType):
    name = "group"
    settings = {
        "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
        "min_items": _COUNT,
        "max_items": _POSITIVE,
        "item_label": _TEXT,
    }
    required_settings = ("label", "fields")
    single_value = False
    checks_default_shape = False

    def value_schema(self, field):
        schema = {"type": "array", "items": ft.object_schema(field.fields)}
        if field.min_items:
            schema["minItems"] = field.min_items
        elif field.required:
            schema["minItems"] = 1
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
        return schema

    def display(self, field, value, *, ngettext=ft._english_plural, **options):
        if not isinstance(value, list):
            return super().display(field, value, **options)
        return ngettext("%(num)d item", "%(num)d items", len(value)) % {"num": len(value)}


class InfoField(ft.FieldType):
    name = "info"
    settings = {"text": _TEXT}
    required_settings = ("text",)
    stores_value = False
    checks_default_shape = False

    def check_settings(self, data, error):
        for key in ("required", "prefill", "default", "autocomplete"):
            if key in data:
                error(
                    key,
                    N_("an info field only shows text: it takes no %(name)s"),
                    key=True,
                    name=repr(key),
                )


def is_date_bound(value: Any) -> bool:
    """``YYYY-MM-DD``, ``today``, ``today+30d``, ``today-18y``."""
    if not isinstance(value, str):
        return False
    return ft.is_iso_date(value) or bool(ft._DATE_BOUND.match(value))


#: In the order of the format's documentation.
BUILTIN_TYPES: tuple[type[ft.FieldType], ...] = (
    TextField,
    TextareaField,
    EmailField,
    PhoneField,
    IntegerField,
    DecimalField,
    DateField,
    ChoiceField,
    MultichoiceField,
    BooleanField,
    FileField,
    AddressField,
    SiretField,
    IbanField,
    LocationField,
    GroupField,
    InfoField,
)
