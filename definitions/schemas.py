"""The JSON Schemas of Guichet's files, and structural validation against them.

The schemas (Draft 2020-12) ship in ``definitions/schemas/`` and are what editors use for
completion. Their list of field types and each type's settings come from the field-type
registry (:mod:`definitions.fieldtypes`): :func:`schema` writes them in when it reads a
file, so a plug-in type is accepted, and the shipped files hold the built-in ones.
:func:`structural_problems` validates a loaded document against one of them: a compiled
fast path answers "valid" for the common case, and the reference validator (jsonschema)
explains every problem when there is one, in plain words with positions.
"""

from __future__ import annotations

import copy
import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from . import fieldtypes
from .errors import MAX_PROBLEMS, Problem
from .loader import Document
from .texts import N_, Msgid, Phrase, joined

KINDS = ("procedure", "workflow", "tests", "site")


def schema(kind: str) -> dict[str, Any]:
    """The published JSON Schema of one kind of file (``procedure``, ``workflow``…), with
    the field types of the registry."""
    return _schema(kind, fieldtypes.registry.token())


@lru_cache(maxsize=16)
def _schema(kind: str, token: tuple) -> dict[str, Any]:
    text = (
        resources.files(__package__)
        .joinpath("schemas")
        .joinpath(f"{kind}.schema.json")
        .read_text("utf-8")
    )
    document = json.loads(text)
    if "field" in document.get("$defs", {}):
        with_field_types(document, fieldtypes.registry)
    return document


def with_field_types(document: dict[str, Any], registry: fieldtypes.Registry) -> None:
    """Write the ``type`` enum and each type's settings (``field_TYPE``) into a schema."""
    definitions = document["$defs"]
    names = list(registry)
    field = definitions["field"]
    field["properties"]["type"]["enum"] = names
    field["allOf"] = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"$ref": f"#/$defs/field_{name}"},
        }
        for name in names
    ]
    for key in [k for k in definitions if k.startswith("field_")]:
        if key not in ("field_common", "field_id") and key[len("field_") :] not in registry:
            del definitions[key]
    for name in names:
        definitions[f"field_{name}"] = registry[name].settings_schema()


def _reference_validator(kind: str) -> Draft202012Validator:
    return _reference_validator_for(kind, fieldtypes.registry.token())


@lru_cache(maxsize=16)
def _reference_validator_for(kind: str, token: tuple) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))


def _fast_validator(kind: str):
    return _fast_validator_for(kind, fieldtypes.registry.token())


@lru_cache(maxsize=16)
def _fast_validator_for(kind: str, token: tuple):
    """The schema, rewritten without ``unevaluatedProperties`` and compiled to Python.

    Field definitions extend a common base with ``$ref`` + ``unevaluatedProperties``; the
    compiler reads Draft 7, so each field type gets the base's properties inlined and
    ``additionalProperties: false`` instead, which accepts exactly the same documents.
    """
    draft7 = copy.deepcopy(schema(kind))
    draft7["$schema"] = "http://json-schema.org/draft-07/schema#"
    definitions = draft7.get("$defs", {})
    for definition in definitions.values():
        if definition.pop("unevaluatedProperties", True) is False:
            base = definitions[definition.pop("$ref").rsplit("/", 1)[-1]]
            definition["type"] = "object"
            definition["properties"] = {**base["properties"], **definition["properties"]}
            definition["additionalProperties"] = False
    return fastjsonschema.compile(draft7)


def is_valid(kind: str, data: Any) -> bool:
    try:
        _fast_validator(kind)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def structural_problems(document: Document, kind: str, data: Any = None, base: tuple = ()):
    """Every way ``data`` (by default the whole document) breaks the schema of ``kind``."""
    data = document.data if data is None else data
    if is_valid(kind, data):
        return []
    validator = _reference_validator(kind)
    explainer = _Explainer(document, schema(kind), base)
    for error in validator.iter_errors(data):
        explainer.explain(error)
    return explainer.result()


_JSON_TYPES = {
    "object": N_("a mapping (key: value)"),
    "array": N_("a list"),
    "string": N_("a text"),
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "boolean": N_("true or false"),
    "null": N_("nothing"),
}


def describe(value: Any) -> Phrase:
    """Say in words what a YAML value is, for messages."""
    if value is None:
        return Phrase(N_("nothing"))
    if isinstance(value, bool):
        return Phrase(N_("the boolean %(value)s"), value=str(value).lower())
    if isinstance(value, int | float):
        return Phrase(N_("the number %(value)s"), value=value)
    if isinstance(value, str):
        return Phrase(N_("the text %(value)s"), value=repr(value))
    if isinstance(value, list):
        return Phrase(N_("a list"))
    return Phrase(N_("a mapping"))


def a_or_an(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def a_field(kind: str) -> Phrase:
    """``an integer field``, ``a text field``: a field of type ``kind``, for messages."""
    if kind[:1] in "aeiou":
        return Phrase(N_("an %(type)s field"), type=kind)
    return Phrase(N_("a %(type)s field"), type=kind)


def a_connector(kind: str) -> Phrase:
    """``an amqp connector``, ``a webhook connector``: a connector of type ``kind``."""
    if kind[:1] in "aeiou":
        return Phrase(N_("an %(type)s connector"), type=kind)
    return Phrase(N_("a %(type)s connector"), type=kind)


def a_prefill_source(kind: str) -> Phrase:
    """``a ban prefill source``, ``an api-particulier prefill source``."""
    if kind[:1] in "aeiou":
        return Phrase(N_("an %(type)s prefill source"), type=kind)
    return Phrase(N_("a %(type)s prefill source"), type=kind)


def nearest(word: str, choices, cutoff: float = 0.6) -> str | None:
    """The valid name closest to a misspelt one, if any is close enough."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return matches[0] if matches else None


def suggestion(word: str, choices) -> Phrase:
    if not choices:
        return Phrase()
    match = nearest(word, choices)
    if match:
        return Phrase(N_("; did you mean %(name)s?"), name=repr(match))
    choices = sorted(str(c) for c in choices)
    if len(choices) <= 12:
        return Phrase(N_("; expected one of: %(choices)s"), choices=", ".join(choices))
    return Phrase()


class _Explainer:
    def __init__(self, document: Document, root: dict, base: tuple):
        self.document = document
        self.root = root
        self.base = base
        self.problems: list[Problem] = []
        self.missing: dict[tuple, Problem] = {}  # (path, key) -> "missing required key"
        self.misspelt: set[tuple] = set()  # (path, suggested key) of unknown keys

    def add(self, path, message: str, *, key: bool = False, **params) -> Problem:
        problem = self.document.problem((*self.base, *path), message, key=key, **params)
        self.problems.append(problem)
        return problem

    def unknown_key(self, path, name: str, known, where: Phrase | None = None) -> None:
        where = where or Phrase(N_("here"))
        msgid = N_("unknown key %(name)s %(where)s%(hint)s")
        if len(self.problems) >= MAX_PROBLEMS:  # past what is listed: no costly hint
            self.add([*path, name], msgid, key=True, name=repr(name), where=where, hint=Phrase())
            return
        if match := nearest(name, known):
            self.misspelt.add((tuple(path), match))
            hint = Phrase(N_("; did you mean %(name)s?"), name=repr(match))
        elif known and len(known) <= 12:
            choices = ", ".join(sorted(str(c) for c in known))
            hint = Phrase(N_("; expected one of: %(choices)s"), choices=choices)
        else:
            hint = Phrase()
        self.add([*path, name], msgid, key=True, name=repr(name), where=where, hint=hint)

    def result(self) -> list[Problem]:
        """The problems, less "missing key" where the key is only misspelt."""
        dropped = {id(p) for spot, p in self.missing.items() if spot in self.misspelt}
        return [p for p in self.problems if id(p) not in dropped]

    def resolve(self, subschema: dict) -> dict:
        while "$ref" in subschema and len(subschema) == 1:
            subschema = self.root["$defs"][subschema["$ref"].rsplit("/", 1)[-1]]
        return subschema

    def known_properties(self, subschema: dict) -> list[str]:
        names = list(subschema.get("properties", {}))
        if "$ref" in subschema:
            names += self.known_properties(self.resolve({"$ref": subschema["$ref"]}))
        return names

    def what(self, path) -> Phrase:
        """A short name for the thing at ``path``, e.g. "a text field"."""
        instance = self.document.data
        for step in (*self.base, *path):
            try:
                instance = instance[step]
            except (KeyError, IndexError, TypeError):
                return Phrase(N_("here"))
        if (
            isinstance(instance, dict)
            and isinstance(instance.get("type"), str)
            and "id" in instance
        ):
            if instance["type"][:1] in "aeiou":
                return Phrase(N_("in an %(type)s field"), type=instance["type"])
            return Phrase(N_("in a %(type)s field"), type=instance["type"])
        return Phrase(N_("here"))

    def explain(self, error: ValidationError) -> None:
        path = list(error.absolute_path)
        keyword = error.validator
        value = error.validator_value
        instance = error.instance
        description = _described(error.schema)
        if keyword in ("additionalProperties", "unevaluatedProperties"):
            known = self.known_properties(error.schema)
            for name in instance:
                if name not in known:
                    self.unknown_key(path, name, known, self.what(path))
        elif keyword == "required":
            for name in value:
                if isinstance(instance, dict) and name not in instance:
                    msgid = N_("missing required key %(name)s")
                    problem = self.add(path, msgid, name=repr(name))
                    self.missing[(tuple(path), name)] = problem
        elif keyword == "enum":
            if path and path[-1] == "type" and isinstance(instance, str):
                self.add(
                    path,
                    N_("unknown field type %(type)s%(hint)s"),
                    type=repr(instance),
                    hint=suggestion(instance, value),
                )
            else:
                choices = ", ".join(str(v) for v in value)
                hint = nearest(instance, value) if isinstance(instance, str) else None
                tail = (
                    Phrase(N_("; did you mean %(name)s?"), name=repr(hint))
                    if hint
                    else Phrase(N_("; expected one of: %(choices)s"), choices=choices)
                )
                self.add(
                    path,
                    N_("%(value)s is not allowed here%(hint)s"),
                    value=describe(instance),
                    hint=tail,
                )
        elif keyword == "type":
            expected = value if isinstance(value, list) else [value]
            kinds = [Phrase(_JSON_TYPES.get(kind, "%(type)s"), type=kind) for kind in expected]
            words = joined(kinds, N_("%(first)s or %(rest)s"))
            self.add(
                path, N_("expected %(what)s, got %(value)s"), what=words, value=describe(instance)
            )
        elif keyword == "anyOf":
            self.explain_any_of(error, path, description)
        elif keyword == "pattern":
            what = description or Phrase(N_("text matching %(pattern)s"), pattern=value)
            self.add(path, N_("%(value)s is not %(what)s"), value=describe(instance), what=what)
        elif keyword == "propertyNames":
            for cause in error.context or []:
                name = cause.instance
                rule = (
                    _described(cause.schema)
                    or _described(self.resolve(cause.schema))
                    or Phrase(N_("a valid key"))
                )
                self.add(
                    [*path, name],
                    N_("the key %(name)s is not %(rule)s"),
                    key=True,
                    name=repr(name),
                    rule=rule,
                )
        elif keyword in ("minimum", "exclusiveMinimum"):
            self.add(
                path,
                N_("%(value)s is too small: it must be at least %(minimum)s"),
                value=describe(instance),
                minimum=value,
            )
        elif keyword == "minItems":
            msgid = (
                N_("the list needs at least %(count)s items")
                if value > 1
                else N_("the list needs at least %(count)s item")
            )
            self.add(path, msgid, count=value)
        elif keyword in ("minProperties", "minLength"):
            self.add(path, N_("this must not be empty"))
        elif keyword == "uniqueItems":
            self.add(path, N_("the list holds the same value twice"))
        else:
            self.add(path, error.message)

    def explain_any_of(self, error: ValidationError, path, description) -> None:
        # Among the alternatives, keep those whose kind (text, mapping…) matches the value:
        # their own errors say more than "none of the alternatives matched".
        branches: dict[int, list[ValidationError]] = {}
        for cause in error.context or []:
            branches.setdefault(cause.schema_path[0], []).append(cause)
        typed = fitting = {
            index: causes
            for index, causes in branches.items()
            if not any(
                not c.relative_path
                and (c.validator == "type" or (c.validator == "enum" and not _scalar(c.instance)))
                for c in causes
            )
        }
        if len(fitting) > 1 and isinstance(error.instance, dict):
            keys = set(error.instance)
            fitting = {
                index: causes
                for index, causes in fitting.items()
                if not any(c.validator == "required" and not c.relative_path for c in causes)
                or keys & set(self.known_properties(self.resolve(error.validator_value[index])))
            }
        if len(fitting) == 1:
            causes = next(iter(fitting.values()))
            what = description or _described(self.resolve(error.schema))
            if what and all(
                not c.relative_path and c.validator in ("pattern", "enum") for c in causes
            ):
                # a scalar that fits none of the alternatives: say what is expected
                hint = ""
                if isinstance(error.instance, str):
                    choices = [
                        v for c in causes if c.validator == "enum" for v in c.validator_value
                    ]
                    hint = (
                        suggestion(error.instance, choices)
                        if nearest(error.instance, choices)
                        else ""
                    )
                self.add(
                    path,
                    N_("%(value)s is not %(what)s%(hint)s"),
                    value=describe(error.instance),
                    what=what,
                    hint=hint or Phrase(),
                )
                return
            for cause in causes:
                self.explain(cause)
            return
        if isinstance(error.instance, dict) and typed:
            # No alternative fits: name the keys that none of them knows.
            known = {
                name
                for index in typed
                for name in self.known_properties(self.resolve(error.validator_value[index]))
            }
            unknown = [name for name in error.instance if name not in known]
            for name in unknown:
                self.unknown_key(path, name, known)
            if unknown:
                return
        what = description or _described(self.resolve(error.schema)) or Phrase(N_("valid here"))
        self.add(
            path, N_("expected %(what)s, got %(value)s"), what=what, value=describe(error.instance)
        )


def _described(subschema: Any) -> Msgid | None:
    """A schema's ``description``, translated with the message it fills (the shipped
    schemas' descriptions are msgids: :mod:`definitions.schema_texts`)."""
    if isinstance(subschema, dict) and isinstance(subschema.get("description"), str):
        return Msgid(subschema["description"])
    return None


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)
