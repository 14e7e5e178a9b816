"""Answers shown as the citizen gave them: on the review page and to agents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _

from definitions.model import Field

from .helpers import text


def display(field: Field, value: Any, attachments: dict[str, str] | None = None) -> str:
    """One answer in words: option labels, dates in full, addresses on one line."""
    if value is None or value == "" or value == []:
        return _("Not answered")
    kind = field.type
    if kind == "choice":
        option = field.options.get(str(value))
        return text(option) if option else str(value)
    if kind == "multichoice":
        return ", ".join(text(field.options[v]) if v in field.options else str(v) for v in value)
    if kind == "boolean":
        return _("Yes") if value else _("No")
    if kind == "date":
        try:
            return format_date(dt.date.fromisoformat(value), "long")
        except (TypeError, ValueError):
            return str(value)
    if kind == "address" and isinstance(value, dict):
        return ", ".join(
            str(value[k]) for k in ("street", "postcode", "city", "country") if value.get(k)
        )
    if kind == "location" and isinstance(value, dict):
        return f"{format_decimal(value.get('lat'))}, {format_decimal(value.get('lon'))}"
    if kind == "file":
        ids = value if isinstance(value, list) else [value]
        names = attachments or {}
        return ", ".join(names.get(i, _("file")) for i in ids)
    if kind == "group" and isinstance(value, list):
        return ngettext("%(num)d item", "%(num)d items", len(value))
    unit = f" {text(field.unit)}" if field.unit else ""
    return f"{value}{unit}"


def answer_rows(fields, answers: dict, procedure=None) -> list[tuple[Field, str, list]]:
    """(field, value in words, rows of each group item) for the fields that store a value."""
    from .services import db

    names: dict[str, str] = {}
    if any(f.type == "file" for f in fields):
        import sqlalchemy as sa

        from engine.models import Attachment

        ids = [
            i
            for f in fields
            if f.type == "file"
            for i in (
                answers.get(f.id) if isinstance(answers.get(f.id), list) else [answers.get(f.id)]
            )
            if i
        ]
        if ids:
            names = dict(
                db()
                .execute(
                    sa.select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))
                )
                .all()
            )
    rows = []
    for field in fields:
        if not field.stores_value:
            continue
        value = answers.get(field.id)
        items = []
        if field.type == "group" and isinstance(value, list):
            items = [
                answer_rows(field.fields, item, procedure)
                for item in value
                if isinstance(item, dict)
            ]
        rows.append((field, display(field, value, names), items))
    return rows
