"""The built-in field types, one module per family."""

from __future__ import annotations

from .base import FieldType
from .choices import BooleanType, ChoiceType, MultichoiceType
from .dates import DateType
from .files import FileType
from .info import InfoType
from .numbers import DecimalType, IntegerType
from .structured import AddressType, GroupType, LocationType
from .text import EmailType, IbanType, PhoneType, SiretType, TextareaType, TextType

BUILTIN_TYPES: tuple[type[FieldType], ...] = (
    TextType,
    TextareaType,
    EmailType,
    PhoneType,
    SiretType,
    IbanType,
    IntegerType,
    DecimalType,
    DateType,
    ChoiceType,
    MultichoiceType,
    BooleanType,
    FileType,
    AddressType,
    LocationType,
    GroupType,
    InfoType,
)

__all__ = [
    "BUILTIN_TYPES",
    "AddressType",
    "BooleanType",
    "ChoiceType",
    "DateType",
    "DecimalType",
    "EmailType",
    "FieldType",
    "FileType",
    "GroupType",
    "IbanType",
    "InfoType",
    "IntegerType",
    "LocationType",
    "MultichoiceType",
    "PhoneType",
    "SiretType",
    "TextType",
    "TextareaType",
]
