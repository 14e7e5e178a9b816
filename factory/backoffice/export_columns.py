"""The columns of an export: what a spreadsheet reader sees as headers, and the typed value
each case gives (a date, a number, a text), ready for a CSV or an XLSX writer.

A procedure's export has one column per field and per address part (street, postcode,
city, country); a repeated group gives its item count, then one column per field of its
items, the items' values joined. The columns are built while the request is there (labels
in the reader's language); the values are read later, as rows stream, without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from definitions import fieldtypes, formats
from definitions import texts as definition_texts
from definitions.model import Field

#: a value as the writers take it: text, a number, a day, a moment, or nothing
Value = str | int | float | Decimal | dt.date | dt.datetime | None
ITEMS_JOINED = " | "
ADDRESS_PARTS = ("street", "postcode", "city", "country")


@dataclass
class Column:
    header: str
    #: the cell of one row, from the row's mapping (``reference``, ``answers``…)
    value: Callable[[dict[str, Any]], Value]
    #: ``amount`` for a sum of euros (a number format with €), else None
    kind: str | None = None


def _text(value: Any, language: str) -> str:
    if value is None:
        return ""
    if hasattr(value, "get") and not isinstance(value, dict):  # a definition's Text
        return value.get(language, "")
    return str(value)


def _number(value: Any) -> Value:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return str(value)


def _day(value: Any) -> Value:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None if value in (None, "") else str(value)


class Reader:
    """How one field's stored value reads, in a language, without a request."""

    def __init__(self, language: str):
        self.language = language
        self.catalogue = definition_texts.translations(language)

    def words(self, field: Field, value: Any) -> Value:
        if value is None or value == "" or value == []:
            return None
        if field.type == "phone":
            return formats.phone(value, field.region)
        try:
            return fieldtypes.display(
                field,
                value,
                language=self.language,
                gettext=self.catalogue.gettext,
                ngettext=self.catalogue.ngettext,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return str(value)

    def value(self, field: Field, value: Any) -> Value:
        """A typed value: numbers stay numbers, dates stay dates; the rest in words."""
        if field.type in ("integer", "decimal"):
            return _number(value)
        if field.type == "date":
            return _day(value)
        if field.type == "file":
            if not value:
                return None
            return len(value) if isinstance(value, list) else 1
        return self.words(field, value)


def _label(field: Field, language: str) -> str:
    label = _text(field.label, language) or field.id
    unit = _text(field.unit, language)
    return f"{label} ({unit})" if unit else label


def _is_amount(field: Field, language: str) -> bool:
    return field.type == "decimal" and _text(field.unit, language).strip() == "€"


def field_columns(
    fields: list[Field], language: str, words: dict[str, str], where=lambda row: row["answers"]
) -> list[Column]:
    """The columns of fields (top-level ones, or a group's items with ``where``).

    ``words``: the labels of the address parts, of a group's item count and of files, in
    the reader's language (``street``, ``postcode``, ``city``, ``country``, ``items``,
    ``files``)."""
    reader = Reader(language)
    columns: list[Column] = []
    for field in fields:
        registered = fieldtypes.registry.get(field.type)
        if registered is not None and not registered.stores_value:
            continue
        label = _label(field, language)
        if field.type == "address":
            for part in ADDRESS_PARTS:
                columns.append(
                    Column(f"{label} — {words[part]}", _address_part(field, part, where, language))
                )
        elif field.type == "group":
            columns.append(Column(f"{label} — {words['items']}", _item_count(field, where)))
            for inner in field.fields:
                registered = fieldtypes.registry.get(inner.type)
                if registered is not None and not registered.stores_value:
                    continue
                columns.append(
                    Column(
                        f"{label} — {_label(inner, language)}", _joined(field, inner, where, reader)
                    )
                )
        elif field.type == "file":
            columns.append(Column(f"{label} — {words['files']}", _answer(field, where, reader)))
        else:
            kind = "amount" if _is_amount(field, language) else None
            columns.append(Column(label, _answer(field, where, reader), kind))
    return columns


def _answers(row: dict[str, Any], where) -> dict[str, Any]:
    found = where(row)
    return found if isinstance(found, dict) else {}


def _answer(field: Field, where, reader: Reader):
    return lambda row: reader.value(field, _answers(row, where).get(field.id))


def _address_part(field: Field, part: str, where, language: str):
    def value(row):
        address = _answers(row, where).get(field.id)
        if not isinstance(address, dict):
            return None if address is None else (str(address) if part == "street" else None)
        found = address.get(part)
        if part == "country":
            return formats.country(found or "FR", language) if address else None
        return found

    return value


def _item_count(field: Field, where):
    def value(row):
        items = _answers(row, where).get(field.id)
        return len(items) if isinstance(items, list) else None

    return value


def _joined(group: Field, inner: Field, where, reader: Reader):
    def value(row):
        items = _answers(row, where).get(group.id)
        if not isinstance(items, list) or not items:
            return None
        shown = []
        for item in items:
            one = reader.value(inner, item.get(inner.id) if isinstance(item, dict) else None)
            shown.append(_plain(one, reader.language))
        return ITEMS_JOINED.join(shown)

    return value


def _plain(value: Value, language: str) -> str:
    """A value inside a joined text: a day as `08/12/2026`, a number as `1 250,5`."""
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int | float | Decimal):
        return formats.number(value, language)
    return str(value)


def summary(fields: list[Field], answers: dict[str, Any], language: str) -> str:
    """Every answer on one line, ``Label : value``, for an export of several procedures."""
    reader = Reader(language)
    parts = []
    for field in fields:
        value = answers.get(field.id) if isinstance(answers, dict) else None
        if value is None or value == "" or value == []:
            continue
        if field.type == "address" and isinstance(value, dict):
            shown = ", ".join(formats.address_lines(value, language))
        else:
            shown = _plain(reader.value(field, value), language)
        parts.append(f"{_label(field, language)} : {shown}")
    return " ; ".join(parts)
