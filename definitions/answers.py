"""The compiled JSON Schema of a procedure's answers, and validation against it.

Hidden fields (their page's ``when`` or their own ``visible_if`` does not hold) are dropped
before validation and never stored; so are null values, which mean "not answered" (a
required field left null is missing). Required-ness that depends on visibility is written in
the schema as ``requiredWhen: {field: expression}``; relative date bounds (``today-18y``) as
``formatMinimum``/``formatMaximum``; phone numbers as ``phoneRegion``. These keywords are
evaluated by the validator built here; editors simply ignore them.
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from . import fieldtypes
from .expressions import Expression
from .model import Field, Form, Procedure

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def compile_answers_schema(form: Form) -> dict[str, Any]:
    """The JSON Schema of the answers to ``form``."""
    conditions = {}
    for page in form.pages:
        for field in page.fields:
            parts = [e.source for e in (page.when, field.visible_if) if e is not None]
            if parts:
                conditions[field.id] = " and ".join(f"({p})" for p in parts)
    return {"$schema": SCHEMA_DIALECT, **fieldtypes.object_schema(form.fields, conditions)}


class _CaseView:
    """What expressions read of ``case`` before a case exists (every attribute empty)."""

    def __init__(self, values: Mapping[str, Any] | None = None):
        self.__dict__.update(
            dict.fromkeys(
                ("reference", "state", "procedure", "department", "created_at", "submitted_at")
            )
        )
        self.__dict__.update(values or {})


def expression_context(
    fields: Mapping[str, Field] | tuple[Field, ...],
    answers: Mapping[str, Any],
    *,
    today: dt.date,
    now: dt.datetime | None = None,
    case: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """The names an expression sees: every field (None when unanswered), dates as dates."""
    items = fields.values() if isinstance(fields, Mapping) else fields
    context: dict[str, Any] = {}
    for field in items:
        value = answers.get(field.id)
        kind = fieldtypes.registry.get(field.type)
        context[field.id] = kind.expression_value(value) if kind is not None else value
    now = now or dt.datetime.combine(today, dt.time(12, 0))
    case = case if case is not None else _CaseView()
    context.update(today=today, now=now, case=case, **extra)
    return context


def visible_answers(
    procedure: Procedure, answers: Mapping[str, Any], *, today: dt.date, case: Any = None
) -> dict[str, Any]:
    """The answers to the pages and fields that are shown; hidden ones are dropped.

    A condition reads the answers judged so far as kept, and the answers not judged yet
    (later pages, later fields) as given. One context serves every condition: it starts
    from the answers as given and changes only where a kept value differs from the given
    one (a group whose items lost their hidden fields), so the cost grows with the number
    of fields, not with its square."""
    kept: dict[str, Any] = {}
    context = expression_context(procedure.fields, answers, today=today, case=case)
    for page in procedure.form.pages:
        if page.when is not None and not page.when.holds(context):
            continue
        for field in page.fields:
            if not field.stores_value or answers.get(field.id) is None:
                continue
            if field.visible_if is not None and not field.visible_if.holds(context):
                continue
            value = answers[field.id]
            if field.type == "group" and isinstance(value, list):
                value = [_visible_item(field, item, context) for item in value]
                kind = fieldtypes.registry.get(field.type)
                context[field.id] = kind.expression_value(value) if kind is not None else value
            kept[field.id] = value
    return kept


def _visible_item(group: Field, item: Any, context: dict[str, Any]) -> Any:
    if not isinstance(item, Mapping):
        return item
    kept = {}
    for field in group.fields:
        if not field.stores_value or item.get(field.id) is None:
            continue
        if field.visible_if is not None:
            own = expression_context(group.fields, item, today=context["today"])
            local = ChainMap(own, context)
            if not field.visible_if.holds(local):
                continue
        kept[field.id] = item[field.id]
    return kept


@dataclass(frozen=True, slots=True)
class AnswerError:
    """A value that does not fit: ``field`` is the top-level field id it belongs to."""

    field: str
    path: tuple[Any, ...]
    keyword: str
    message: str


_today: ContextVar[dt.date] = ContextVar("guichet_today")
_root: ContextVar[tuple[Mapping[str, Any], dict[str, Any]]] = ContextVar("guichet_answers")


def _required_when(validator, conditions, instance, schema):
    if not isinstance(instance, Mapping):
        return
    answers, context = _root.get()
    if instance is not answers:  # an item of a group: its sub-fields are read too
        context = context | dict.fromkeys(schema.get("properties", ())) | dict(instance)
    for field_id, source in conditions.items():
        if field_id not in instance and Expression(source).holds(context):
            yield ValidationError(f"{field_id!r} is a required property", validator="required")


def _bound(compare, words):
    def check(validator, bound, instance, schema):
        if isinstance(instance, str) and fieldtypes.is_iso_date(instance):
            limit = fieldtypes.resolve_date_bound(bound, _today.get())
            if not compare(dt.date.fromisoformat(instance), limit):
                yield ValidationError(f"the date must be {words} {limit.isoformat()}")

    return check


def _phone_region(validator, region, instance, schema):
    if isinstance(instance, str) and not fieldtypes.is_phone(instance, region):
        yield ValidationError(f"{instance!r} is not a valid phone number")


_format_checkers: dict[tuple, FormatChecker] = {}


def _formats() -> FormatChecker:
    """The ``format`` checks of every registered field type."""
    token = fieldtypes.registry.token()
    checker = _format_checkers.get(token)
    if checker is None:
        checker = FormatChecker(formats=())
        for name, check in fieldtypes.registry.formats().items():
            checker.checks(name)(check)
        _format_checkers.clear()
        _format_checkers[token] = checker
    return checker


AnswersValidator = validators.extend(
    Draft202012Validator,
    {
        "requiredWhen": _required_when,
        "formatMinimum": _bound(lambda value, limit: value >= limit, "on or after"),
        "formatMaximum": _bound(lambda value, limit: value <= limit, "on or before"),
        "phoneRegion": _phone_region,
    },
)


def normalise_answers(procedure: Procedure, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers in their stored form (see :func:`fieldtypes.normalise`)."""
    result = {}
    for key, value in answers.items():
        field = procedure.fields.get(key)
        if field is not None and field.type == "group" and isinstance(value, list):
            value = [
                {
                    k: fieldtypes.normalise(f, v) if (f := _sub(field, k)) else v
                    for k, v in item.items()
                }
                if isinstance(item, Mapping)
                else item
                for item in value
            ]
        elif field is not None:
            value = fieldtypes.normalise(field, value)
        result[key] = value
    return result


def _sub(group: Field, key: str) -> Field | None:
    return next((f for f in group.fields if f.id == key), None)


def validate_answers(
    procedure: Procedure, answers: Mapping[str, Any], *, today: dt.date, case: Any = None
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Normalise, drop hidden fields, validate. Returns ``(kept answers, errors)``."""
    normalised = normalise_answers(procedure, answers)
    kept = visible_answers(procedure, normalised, today=today, case=case)
    unknown = {k: v for k, v in normalised.items() if k not in procedure.fields}
    validator = AnswersValidator(procedure.answers_schema, format_checker=_formats())
    today_token = _today.set(today)
    context = expression_context(procedure.fields, kept, today=today, case=case)
    root_token = _root.set((kept, context))
    try:
        errors = [_answer_error(error) for error in validator.iter_errors(kept | unknown)]
    finally:
        _today.reset(today_token)
        _root.reset(root_token)
    return kept, sorted(errors, key=lambda e: (e.field, e.path))


def _answer_error(error: ValidationError) -> AnswerError:
    path = tuple(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        path = (*path, missing)
    elif error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path = (*path, *extra[:1])
    field = str(path[0]) if path else ""
    return AnswerError(field, path, str(error.validator), error.message)


def validate_form(
    fields: tuple[Field, ...],
    values: Mapping[str, Any],
    *,
    today: dt.date,
    context: Mapping[str, Any] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Validate a transition's form: like :func:`validate_answers`, for a list of fields.

    ``context`` holds what its conditions may read besides its own values (the answers).
    """
    by_id = {f.id: f for f in fields}
    normalised = {
        k: fieldtypes.normalise(by_id[k], v) if k in by_id else v for k, v in values.items()
    }
    base = dict(context or {})
    base.setdefault("today", today)
    local = base | expression_context(fields, normalised, today=today, case=base.get("case"))
    kept = {}
    for field in fields:
        if not field.stores_value or normalised.get(field.id) is None:
            continue
        if field.visible_if is not None and not field.visible_if.holds(local):
            continue
        kept[field.id] = normalised[field.id]
    unknown = {k: v for k, v in normalised.items() if k not in by_id}
    schema = schema if schema is not None else form_schema(fields)
    validator = AnswersValidator(schema, format_checker=_formats())
    today_token = _today.set(today)
    root_token = _root.set((kept, local))
    try:
        errors = [_answer_error(error) for error in validator.iter_errors(kept | unknown)]
    finally:
        _today.reset(today_token)
        _root.reset(root_token)
    return kept, sorted(errors, key=lambda e: (e.field, e.path))


def form_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema of a transition form's values."""
    return {"$schema": SCHEMA_DIALECT, **fieldtypes.object_schema(fields)}
