"""Field types: one class per ``type`` of the format, in one registry, from end to end.

A :class:`FieldType` holds everything the definition side knows of a type: the JSON Schema
of its settings (the published procedure schema lists types and settings from the
registry), the checks of its settings beyond that schema, the JSON Schema fragment of the
value it stores (answers are validated against it), how a value is normalised before it is
stored, and how a value reads for people (:meth:`FieldType.display`). Its widget, the class
that renders it as a form field, lives in :mod:`renderers` and is named by ``widget``.

The built-in types are in :mod:`definitions.builtin_fields`; installed packages add types
under the entry-point group ``guichet.field_types`` (:func:`load_entry_points`, called at
start by the application and by ``guichet check``). Two types with one name fail, naming
both.

Value checks lean on maintained libraries: python-stdnum (SIRET, IBAN), phonenumbers,
email-validator.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from .model import Field
from .texts import N_, Phrase

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


def autocomplete_problem(value: str) -> Phrase | None:
    """Why an autocomplete attribute is not valid, or None."""
    tokens = value.split()
    if not tokens:
        return Phrase(N_("the autocomplete token is empty"))
    *qualifiers, name = tokens
    for qualifier in qualifiers:
        if not (qualifier.startswith("section-") or qualifier in _AUTOCOMPLETE_PREFIXES):
            msgid = N_("%(name)s is not an autocomplete section or hint")
            return Phrase(msgid, name=repr(qualifier))
    if name not in AUTOCOMPLETE_TOKENS:
        return Phrase(N_("%(name)s is not an HTML autocomplete token"), name=repr(name))
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


# -- the field types ---------------------------------------------------------------------

ENTRY_POINT_GROUP = "guichet.field_types"
_MODEL_ATTRIBUTES = frozenset(Field.__dataclass_fields__) - {"settings"}
_BUILTIN_MODULE = f"{__package__}.builtin_fields"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FieldTypeError(Exception):
    """The field types cannot be set up (a name used twice, a class that is no type)."""


def _english(msgid: str) -> str:
    return msgid


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


class FieldType:
    """What one ``type`` of field is, on the definition side (subclass it per type).

    ``settings`` are the JSON Schema properties of the type's own keys (beside the keys
    every field has: ``id``, ``label``, ``hint``, ``required``, ``visible_if``…); they may
    refer to the schema's shared definitions (``#/$defs/text``, ``#/$defs/count``…).
    Settings that the :class:`~definitions.model.Field` model has no attribute for are kept
    in ``Field.settings``.
    """

    #: The ``type`` name in the definition files.
    name: ClassVar[str] = ""
    #: JSON Schema properties of the type's own settings.
    settings: ClassVar[Mapping[str, Any]] = {}
    #: Keys a field of this type must have besides ``id`` and ``type``.
    required_settings: ClassVar[tuple[str, ...]] = ("label",)
    #: False for fields that only show text.
    stores_value: ClassVar[bool] = True
    #: Keys of a structured value, readable in expressions and routing as ``field.key``.
    structured_keys: ClassVar[frozenset[str] | None] = None
    #: Whether the value is one scalar (a routing rule can pick a department by it).
    single_value: ClassVar[bool] = True
    #: Whether a ``default`` is checked against the value schema (types with their own
    #: check of ``default`` turn it off).
    checks_default_shape: ClassVar[bool] = True
    #: JSON Schema ``format`` names this type's value schema uses, with their checks.
    formats: ClassVar[Mapping[str, Callable[[Any], bool]]] = {}
    #: The renderers class of this type (a class, or ``"module:Class"``), for plug-ins;
    #: built-in widgets are registered by :mod:`renderers.fields` itself.
    widget: ClassVar[Any] = None

    def settings_schema(self) -> dict[str, Any]:
        """The ``$defs`` entry of this type in the procedure and workflow schemas."""
        return {
            "$ref": "#/$defs/field_common",
            "required": ["id", "type", *self.required_settings],
            "properties": dict(self.settings),
            "unevaluatedProperties": False,
        }

    def check_settings(self, data: Mapping[str, Any], error: Callable[..., None]) -> None:
        """Report what the schema cannot say about a field's settings:
        ``error(key, message, key=True)`` points at a key, ``key=False`` at its value.
        ``message`` is English, or a msgid marked with ``N_`` (:mod:`definitions.texts`)
        followed by its values as keywords: ``error(key, N_("%(value)s is …"), value=…)``."""

    def value_schema(self, field: Field) -> dict[str, Any]:
        """The JSON Schema of the value a field of this type stores."""
        raise ValueError(f"a {self.name} field stores no value")

    def normalise(self, field: Field, value: Any) -> Any:
        """The stored form of a (stripped) value; values that do not parse are returned
        unchanged, for validation to refuse them."""
        return value

    def expression_value(self, value: Any) -> Any:
        """What expressions read of a stored value (a date as a date)."""
        return value

    def display(
        self,
        field: Field,
        value: Any,
        *,
        language: str = "fr",
        gettext: Callable[[str], str] = _english,
        ngettext: Callable[[str, str, int], str] = _english_plural,
        attachments: Mapping[str, str] | None = None,
    ) -> str:
        """A stored value in words, for the review page, the case page and exports
        (never empty: the caller says "Not answered" for a missing value)."""
        unit = f" {field.unit.get(language)}" if field.unit else ""
        return f"{value}{unit}"


class Registry:
    """Field types by name."""

    def __init__(self, types: Iterable[type[FieldType]] = ()):
        self._types: dict[str, FieldType] = {}
        self._origins: dict[str, str] = {}
        for cls in types:
            self.register(cls)

    def register(self, cls: type[FieldType], origin: str | None = None) -> type[FieldType]:
        """Add ``cls`` under its ``name``; usable as a class decorator."""
        if not (isinstance(cls, type) and issubclass(cls, FieldType)) or not cls.name:
            raise FieldTypeError(f"{origin or cls!r} is not a FieldType subclass with a name")
        if not _NAME.match(cls.name) or cls.name in ("common", "id"):
            raise FieldTypeError(f"{cls.name!r} cannot name a field type ({origin or cls!r})")
        origin = origin or f"{cls.__module__}:{cls.__qualname__}"
        existing = self._types.get(cls.name)
        if existing is not None:
            if type(existing) is cls:
                return cls
            raise FieldTypeError(
                f"two field types are named {cls.name!r}: {self._origins[cls.name]} and {origin}"
            )
        for key, schema in cls.settings.items():
            # a plug-in's setting that the model holds as an attribute must mean what it
            # means for a built-in type
            if cls.__module__ == _BUILTIN_MODULE or key not in _MODEL_ATTRIBUTES:
                continue
            if all(kind.settings.get(key) != schema for kind in self._types.values()):
                raise FieldTypeError(
                    f"the setting {key!r} of the field type {cls.name!r} ({origin}) has "
                    "another meaning in the other types: give it another name"
                )
        self._types[cls.name] = cls()
        self._origins[cls.name] = origin
        return cls

    def unregister(self, name: str) -> None:
        self._types.pop(name, None)
        self._origins.pop(name, None)

    def load_entry_points(self, found: Iterable[EntryPoint] | None = None) -> None:
        """Register the types that installed packages declare in ``guichet.field_types``."""
        for point in found if found is not None else entry_points(group=ENTRY_POINT_GROUP):
            try:
                cls = point.load()
            except Exception as error:  # a broken plug-in stops the start, saying which
                raise FieldTypeError(
                    f"the field type {point.name!r} ({point.value}) cannot be loaded: {error}"
                ) from error
            self.register(cls, f"{point.value} (entry point {point.name!r})")

    def __getitem__(self, name: str) -> FieldType:
        return self._types[name]

    def get(self, name: str) -> FieldType | None:
        return self._types.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def token(self) -> tuple[tuple[str, int], ...]:
        """Changes whenever a type is added or removed (caches of schemas key on it)."""
        return tuple((name, id(kind)) for name, kind in self._types.items())

    def formats(self) -> dict[str, Callable[[Any], bool]]:
        checks: dict[str, Callable[[Any], bool]] = {}
        for kind in self._types.values():
            checks.update(kind.formats)
        return checks


def normalise(field: Field, value: Any) -> Any:
    """The stored form of a value: E.164 phones, compact IBAN and SIRET, trimmed texts."""
    if isinstance(value, str):
        value = value.strip()
        kind = registry.get(field.type)
        if kind is not None:
            return kind.normalise(field, value)
    return value


def value_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of the value a field stores (relative dates stay symbolic)."""
    schema = registry[field.type].value_schema(field)
    if field.label is not None:
        schema["title"] = str(field.label)
    return schema


def structured_keys(kind: str) -> frozenset[str] | None:
    """The keys of a structured value of type ``kind`` (an address's ``postcode``…)."""
    found = registry.get(kind)
    return found.structured_keys if found is not None else None


def display(field: Field, value: Any, **options: Any) -> str:
    """A stored value in words (see :meth:`FieldType.display`)."""
    return registry[field.type].display(field, value, **options)


def load_entry_points(found: Iterable[EntryPoint] | None = None) -> None:
    """Add the installed plug-in types to :data:`registry` (idempotent)."""
    registry.load_entry_points(found)


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


from .builtin_fields import BUILTIN_TYPES  # noqa: E402  (they subclass FieldType)

#: The field types of this process: the built-in ones, then the plug-ins loaded at start.
registry = Registry(BUILTIN_TYPES)
#: The names of the built-in types, in the order of the format's documentation.
TYPES: tuple[str, ...] = tuple(cls.name for cls in BUILTIN_TYPES)
