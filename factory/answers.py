"""Answers: the pages they make visible to a filer, and how they read for people (on the
review page and to agents), as the citizen gave them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from definitions import fieldtypes, formats
from definitions import texts as definition_texts
from definitions.model import Field, Page, Procedure

from .language import current_language
from .services import today


def answer_digest(value: Any) -> str:
    """A keyed digest of an answer: whether it changed can be told without keeping it
    (``Case.prefilled``)."""
    import hashlib
    import hmac
    import json

    from flask import current_app

    key = str(current_app.config["SECRET_KEY"]).encode()
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


def display(field: Field, value: Any, attachments: dict[str, str] | None = None) -> str:
    """One answer in words, on one line: option labels, dates in full, an address."""
    if value is None or value == "" or value == []:
        return _("Not answered")
    # how a value reads is the field type's own (built-in or plug-in), in its catalogue
    language = current_language()
    catalogue = definition_texts.translations(language)
    return fieldtypes.display(
        field,
        value,
        language=language,
        gettext=catalogue.gettext,
        ngettext=catalogue.ngettext,
        attachments=attachments,
    )


def answer_lines(field: Field, value: Any, attachments: dict[str, str] | None = None) -> list[str]:
    """One answer as lines to show one under the other: an address as on an envelope,
    anything else as its one line of ``display``."""
    if field.type == "address" and isinstance(value, dict):
        lines = formats.address_lines(value, current_language())
        if lines:
            return lines
    return [display(field, value, attachments)]


def answer_rows(fields, answers: dict, procedure=None) -> list[tuple[Field, list[str], list]]:
    """(field, value as lines, rows of each group item) for the fields that store a value."""
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
        rows.append((field, answer_lines(field, value, names), items))
    return rows


def visible_pages(procedure: Procedure, answers: dict) -> list[Page]:
    """The pages of ``procedure`` a filer sees, given the answers so far."""
    from definitions.answers import expression_context

    context = expression_context(procedure.fields, answers, today=today())
    return [p for p in procedure.form.pages if p.when is None or p.when.holds(context)]
