"""What each field type stores, how its value is checked and normalised.

Value checks lean on maintained libraries: python-stdnum (SIRET, IBAN), phonenumbers,
email-validator. The JSON Schema of one field's value is built by :func:`value_schema`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from .model import Field

TYPES = (
    "text",
    "textarea",
    "email",
    "phone",
    "integer",
    "decimal",
    "date",
    "choice",
    "multichoice",
    "boolean",
    "file",
    "address",
    "siret",
    "iban",
    "location",
    "group",
    "info",
)
#: Keys of the structured values, readable in expressions as ``field.key``.
STRUCTURED_KEYS = {
    "address": frozenset({"street", "postcode", "city", "country"}),
    "location": frozenset({"lat", "lon"}),
    "date": frozenset({"year", "month", "day"}),
}
#: Claims a login identity (FranceConnect, OpenID Connect) may carry, for ``prefill``.
IDENTITY_CLAIMS = frozenset(
    {
        "given_name",
        "family_name",
        "preferred_username",
        "birthdate",
        "birthplace",
        "birthcountry",
        "gender",
        "email",
        "phone",
        "address",
    }
)
#: What a citizen's saved profile holds, for ``prefill: profile.KEY``.
PROFILE_KEYS = frozenset({"given_name", "family_name", "birthdate", "email", "phone", "address"})
#: HTML autocomplete field names (WHATWG "autofill field name"), for ``autocomplete``.
AUTOCOMPLETE_TOKENS = frozenset(
    """off on name honorific-prefix given-name additional-name family-name honorific-suffix
    nickname username new-password current-password one-time-code organization-title
    organization street-address address-line1 address-line2 address-line3 address-level4
    address-level3 address-level2 address-level1 country country-name postal-code cc-name
    cc-given-name cc-additional-name cc-family-name cc-number cc-exp cc-exp-month cc-exp-year
    cc-csc cc-type transaction-currency transaction-amount language bday bday-day bday-month
    bday-year sex url photo tel tel-country-code tel-national tel-area-code tel-local
    tel-local-prefix tel-local-suffix tel-extension email impp""".split()
)
_AUTOCOMPLETE_PREFIXES = frozenset(
    {"shipping", "billing", "home", "work", "mobile", "fax", "pager"}
)

_DATE_BOUND = re.compile(r"^today(?:([+-])(\d+)([dwmy]))?$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kKMG]?)(?:[Bo]|iB)$")
_SIZE_FACTORS = {"": 1, "k": 1000, "K": 1000, "M": 1000**2, "G": 1000**3}
_MIME = re.compile(r"^[a-z]+/(?:\*|[a-z0-9][a-z0-9.+-]*)$")


def parse_size(value: int | str) -> int:
    """Bytes in ``5MB``, ``500 KB``, ``2Mo`` or a plain number (decimal units)."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a size such as 500KB or 5MB")
    number, unit = match.groups()
    factor = _SIZE_FACTORS[unit]
    if value.strip().endswith("iB"):
        factor = {"": 1, "k": 1024, "K": 1024, "M": 1024**2, "G": 1024**3}[unit]
    return int(float(number) * factor)


def is_mime_type(value: str) -> bool:
    return bool(_MIME.match(value))


def autocomplete_problem(value: str) -> str | None:
    """Why an autocomplete attribute is not valid, or None."""
    tokens = value.split()
    if not tokens:
        return "the autocomplete token is empty"
    *qualifiers, name = tokens
    for qualifier in qualifiers:
        if not (qualifier.startswith("section-") or qualifier in _AUTOCOMPLETE_PREFIXES):
            return f"{qualifier!r} is not an autocomplete section or hint"
    if name not in AUTOCOMPLETE_TOKENS:
        return f"{name!r} is not an HTML autocomplete token"
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the end of the month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def resolve_date_bound(bound: str, today: dt.date) -> dt.date:
    """``2024-01-31``, ``today``, ``today+30d``, ``today-18y`` (d, w, m, y) as a date."""
    match = _DATE_BOUND.match(bound)
    if not match:
        return dt.date.fromisoformat(bound)
    sign, number, unit = match.groups()
    if not sign:
        return today
    amount = int(number) * (1 if sign == "+" else -1)
    if unit == "d":
        return today + dt.timedelta(days=amount)
    if unit == "w":
        return today + dt.timedelta(weeks=amount)
    return add_months(today, amount * (12 if unit == "y" else 1))


# -- value checks, used as JSON Schema formats ------------------------------------------


def is_email(value: Any) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except (EmailNotValidError, TypeError):
        return False
    return True


def is_phone(value: Any, region: str = "FR") -> bool:
    try:
        number = phonenumbers.parse(value, region)
    except (phonenumbers.NumberParseException, TypeError):
        return False
    return phonenumbers.is_valid_number(number)


def is_iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10


def is_siret(value: Any) -> bool:
    return isinstance(value, str) and stdnum_siret.is_valid(value)


def is_iban(value: Any) -> bool:
    return isinstance(value, str) and stdnum_iban.is_valid(value)


def normalise(field: Field, value: Any) -> Any:
    """The stored form of a value: E.164 phones, compact IBAN and SIRET, trimmed texts.

    Values that do not parse are returned unchanged, for validation to refuse them.
    """
    if isinstance(value, str):
        value = value.strip()
        if field.type == "phone" and is_phone(value, field.region):
            number = phonenumbers.parse(value, field.region)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if field.type == "iban":
            return stdnum_iban.compact(value)
        if field.type == "siret":
            return stdnum_siret.compact(value)
        if field.type == "email":
            return value.lower() if is_email(value) else value
    return value


def value_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of the value a field stores (relative dates stay symbolic)."""
    kind = field.type
    schema: dict[str, Any]
    if kind in ("text", "textarea"):
        schema = {
            "type": "string",
            "minLength": max(field.min_length or 0, 1 if field.required else 0),
        }
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.pattern:
            schema["pattern"] = f"^(?:{field.pattern})$"
    elif kind in ("email", "date", "siret", "iban"):
        schema = {"type": "string", "format": kind}
        if kind == "date":
            if field.min is not None:
                schema["formatMinimum"] = field.min
            if field.max is not None:
                schema["formatMaximum"] = field.max
    elif kind == "phone":
        schema = {"type": "string", "phoneRegion": field.region}
    elif kind in ("integer", "decimal"):
        schema = {"type": "integer" if kind == "integer" else "number"}
        if field.min is not None:
            schema["minimum"] = field.min
        if field.max is not None:
            schema["maximum"] = field.max
    elif kind == "choice":
        schema = {"type": "string", "enum": list(field.options)}
    elif kind == "multichoice":
        schema = {"type": "array", "uniqueItems": True, "items": {"enum": list(field.options)}}
        if field.required:
            schema["minItems"] = max(field.min_items or 0, 1)
        elif field.min_items:
            schema["minItems"] = field.min_items
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
    elif kind == "boolean":
        schema = {"const": True} if field.required else {"type": "boolean"}
    elif kind == "file":
        one = {"type": "string", "minLength": 1}
        schema = {"type": "array", "items": one, "minItems": 1} if field.multiple else one
    elif kind == "address":
        text = {"type": "string", "minLength": 1}
        schema = {
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
    elif kind == "location":
        bounds = field.bounds
        lat: dict[str, Any] = {"type": "number", "minimum": -90, "maximum": 90}
        lon: dict[str, Any] = {"type": "number", "minimum": -180, "maximum": 180}
        if bounds:
            lat = {"type": "number", "minimum": bounds.south, "maximum": bounds.north}
            lon = {"type": "number", "minimum": bounds.west, "maximum": bounds.east}
        schema = {
            "type": "object",
            "required": ["lat", "lon"],
            "additionalProperties": False,
            "properties": {"lat": lat, "lon": lon},
        }
    elif kind == "group":
        schema = {"type": "array", "items": object_schema(field.fields)}
        if field.min_items:
            schema["minItems"] = field.min_items
        elif field.required:
            schema["minItems"] = 1
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
    else:  # pragma: no cover - info fields store nothing and are never asked for
        raise ValueError(f"a {kind} field stores no value")
    if field.label is not None:
        schema["title"] = str(field.label)
    return schema


def object_schema(fields, conditions: dict[str, str] | None = None) -> dict[str, Any]:
    """The schema of an object holding ``fields``; ``conditions`` maps an id to the
    expression under which it is shown (its page's ``when`` and its own ``visible_if``)."""
    conditions = conditions or {}
    properties, required, required_when = {}, [], {}
    for field in fields:
        if not field.stores_value:
            continue
        properties[field.id] = value_schema(field)
        condition = conditions.get(field.id) or (
            field.visible_if.source if field.visible_if else None
        )
        if field.required:
            if condition:
                required_when[field.id] = condition
            else:
                required.append(field.id)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if required_when:
        schema["requiredWhen"] = required_when
    return schema
