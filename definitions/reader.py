"""What every reader of a Guichet file shares: problems at positions, texts, expressions
checked against their scope (:mod:`definitions.scope`), fields and their settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from . import fieldtypes
from .errors import Problem
from .expression_checks import analyse, this_source
from .expressions import Expression, Template
from .loader import Document
from .model import Bounds, Field, LocalizedTemplate, PrefillLookup, Text
from .schemas import a_field, a_prefill_source, describe, suggestion
from .scope import Scope
from .texts import N_, Phrase, joined


class Reader:
    """Reads one document; collects problems instead of stopping at the first."""

    def __init__(self, document: Document, site=None, suffix: str = ""):
        self.document = document
        self.site = site
        self.suffix = suffix  # e.g. " (in procedure 'x')" for a shared workflow
        self.problems: list[Problem] = []

    def error(self, path, message: str, /, *, key: bool = False, **params) -> None:
        """A problem at ``path``: ``message`` is English, or a msgid filled with ``params``."""
        if self.suffix:
            params = {"message": Phrase(message, **params), "suffix": self.suffix}
            message = "%(message)s%(suffix)s"
        self.problems.append(self.document.problem(tuple(path), message, key=key, **params))

    def check_department(self, path, slug: str) -> None:
        """A problem at ``path`` unless the site config declares the department ``slug``."""
        if self.site is not None and slug not in self.site.departments:
            self.error(
                path,
                N_("the department %(name)s is not declared in the site config%(hint)s"),
                name=repr(slug),
                hint=suggestion(slug, self.site.departments),
            )

    # -- texts ---------------------------------------------------------------------------

    def text(self, path, value: Any) -> Text | None:
        if value is None:
            return None
        if isinstance(value, str):
            return Text(MappingProxyType({self.default_language: value}))
        self.check_languages(path, value)
        return Text(MappingProxyType(dict(value)))

    @property
    def default_language(self) -> str:
        return self.site.languages[0] if self.site else "fr"

    def check_languages(self, path, value: Mapping[str, Any]) -> None:
        if self.site is None:
            return
        offered = self.site.languages
        for language in value:
            if language not in offered:
                self.error(
                    (*path, language),
                    N_("the site does not offer the language %(language)s%(hint)s"),
                    key=True,
                    language=repr(language),
                    hint=suggestion(language, offered),
                )
        if offered[0] not in value:
            self.error(
                path,
                N_("this text has no %(language)s version, the site's first language"),
                language=repr(offered[0]),
            )

    # -- expressions ---------------------------------------------------------------------

    def expression(self, path, source: str | None, scope: Scope) -> Expression | None:
        if source is None:
            return None
        if self.check_source(path, source, scope, template=False):
            return Expression(source)
        return None

    def template(self, path, value: Any, scope: Scope) -> LocalizedTemplate | None:
        if value is None:
            return None
        if isinstance(value, str):
            items = {self.default_language: value}
            paths = {self.default_language: tuple(path)}
        else:
            self.check_languages(path, value)
            items = dict(value)
            paths = {language: (*path, language) for language in value}
        ok = all(self.check_source(paths[k], v, scope, template=True) for k, v in items.items())
        if not ok:
            return None
        return LocalizedTemplate(MappingProxyType({k: Template(v) for k, v in items.items()}))

    def check_source(
        self, path, source: str, scope: Scope, *, template: bool, this: Phrase | None = None
    ) -> bool:
        """Whether ``source`` parses and reads only what ``scope`` holds (problems at
        ``path``); ``this`` names the source in them ("this text" by default)."""
        this = this or this_source(template)
        analysis = analyse(source, template)
        before = len(self.problems)
        if analysis.error:
            self.error(
                path, N_("%(this)s does not parse: %(error)s"), this=this, error=analysis.error
            )
            return False
        if analysis.refusal:
            self.error(path, "%(refusal)s", refusal=analysis.refusal)
            return False
        known = scope.names()
        for name in sorted(analysis.names):
            if name == "transition" and scope.transition is None:
                self.error(
                    path,
                    N_(
                        "%(this)s reads 'transition', which only the on_fire actions of a "
                        "transition with a form can read"
                    ),
                    this=this,
                )
            elif name not in known:
                self.error(
                    path,
                    N_("unknown name %(name)s in %(this)s%(hint)s"),
                    name=repr(name),
                    this=this,
                    hint=suggestion(name, known),
                )
        for name, attributes in analysis.chains:
            if problem := scope.chain_problem(name, attributes):
                message, hint = problem
                self.error(
                    path,
                    N_("%(problem)s in %(this)s%(hint)s"),
                    problem=message,
                    this=this,
                    hint=hint,
                )
        return len(self.problems) == before

    # -- fields --------------------------------------------------------------------------

    def fields(
        self,
        path,
        items: list,
        scope_fields: Mapping[str, Field] | None,
        seen: dict[str, tuple] | None = None,
        *,
        in_group: bool = False,
    ) -> list[Field]:
        """Read a list of fields; ids must be unique within ``seen``."""
        seen = {} if seen is None else seen
        result = []
        for index, item in enumerate(items):
            item_path = (*path, index)
            field_id = item["id"]
            if field_id in seen:
                line = self.document.where((*seen[field_id], "id"))[0]
                self.error(
                    (*item_path, "id"),
                    N_("the field id %(id)s is used twice (first at line %(line)s)"),
                    id=repr(field_id),
                    line=line,
                )
                continue
            seen[field_id] = item_path
            if in_group and item["type"] == "group":
                self.error((*item_path, "type"), N_("a group cannot hold another group"))
                continue
            result.append(self.bare_field(item_path, item))
        return result

    def bare_field(self, path, data: dict) -> Field:
        """A field with its settings checked; expressions are attached by the caller."""
        kind = data["type"]
        path = tuple(path)
        values: dict[str, Any] = {"id": data["id"], "type": kind}
        for key in ("label", "hint", "pattern_message", "unit", "item_label", "text"):
            if key in data:
                values[key] = self.text((*path, key), data[key])
        if isinstance(data.get("prefill"), dict):
            lookup = data["prefill"]
            origin = lookup.get("from")
            values["prefill"] = PrefillLookup(
                lookup["source"],
                lookup["value"],
                tuple(origin) if isinstance(origin, list) else origin,
            )
        elif "prefill" in data:
            values["prefill"] = data["prefill"]
        for key in (
            "required",
            "autocomplete",
            "min_length",
            "max_length",
            "pattern",
            "widget",
            "min_items",
            "max_items",
            "multiple",
            "region",
        ):
            if key in data:
                values[key] = data[key]
        for key in ("min", "max"):
            if key in data:
                values[key] = data[key]
        if "options" in data:
            values["options"] = MappingProxyType(
                {str(k): self.text((*path, "options", k), v) for k, v in data["options"].items()}
            )
        if "accept" in data:
            accept = data["accept"]
            values["accept"] = tuple([accept] if isinstance(accept, str) else accept)
        if "max_size" in data:
            values["max_size"] = fieldtypes.parse_size(data["max_size"])
        if "bounds" in data:
            values["bounds"] = Bounds(**data["bounds"])
        if kind == "group":
            values["fields"] = tuple(
                self.fields((*path, "fields"), data["fields"], None, in_group=True)
            )
        extra = {
            k: data[k]
            for k in fieldtypes.registry[kind].settings
            if k in data and k not in _FIELD_ATTRIBUTES
        }
        if extra:
            values["settings"] = MappingProxyType(extra)
        self.check_field_settings(path, data, values)
        if "default" in data:
            values["default"] = data["default"]
        return Field(**values)

    def check_field_settings(self, path, data: dict, values: dict) -> None:
        kind = fieldtypes.registry[data["type"]]
        for low, high in (("min_length", "max_length"), ("min", "max"), ("min_items", "max_items")):
            if low in data and high in data and _comparable(data[low], data[high]):
                if data[low] > data[high]:
                    self.error(
                        (*path, low),
                        N_("%(low)s (%(low_value)s) is greater than %(high)s (%(high_value)s)"),
                        low=low,
                        low_value=data[low],
                        high=high,
                        high_value=data[high],
                    )
        if "pattern" in data:
            try:
                re.compile(data["pattern"])
            except re.error as error:
                self.error(
                    (*path, "pattern"),
                    N_("this pattern is not a valid regular expression: %(error)s"),
                    error=str(error),
                )
        if "pattern_message" in data and "pattern" not in data:
            self.error((*path, "pattern_message"), N_("pattern_message needs a pattern"), key=True)
        for mime in values.get("accept", ()):
            if not fieldtypes.is_mime_type(mime):
                self.error(
                    (*path, "accept"),
                    N_("%(mime)s is not a MIME type such as application/pdf or image/jpeg"),
                    mime=repr(mime),
                )
        if "autocomplete" in data and (
            why := fieldtypes.autocomplete_problem(data["autocomplete"])
        ):
            tokens = data["autocomplete"].split()
            hint = Phrase()
            if tokens and tokens[-1] not in fieldtypes.AUTOCOMPLETE_TOKENS:
                hint = suggestion(tokens[-1], fieldtypes.AUTOCOMPLETE_TOKENS)
            self.error((*path, "autocomplete"), "%(problem)s%(hint)s", problem=why, hint=hint)
        if isinstance(data.get("prefill"), str):
            source, _, key = data["prefill"].partition(".")
            known = fieldtypes.IDENTITY_CLAIMS if source == "identity" else fieldtypes.PROFILE_KEYS
            if key not in known:
                self.error(
                    (*path, "prefill"),
                    N_("%(source)s has no %(name)s to prefill from%(hint)s"),
                    source=source,
                    name=repr(key),
                    hint=suggestion(key, known),
                )

        def report(setting: str, message: str, /, *, key: bool = False, **params) -> None:
            self.error((*path, setting), message, key=key, **params)

        kind.check_settings(data, report)
        if "default" in data and kind.checks_default_shape:
            if not fits(Field(**{**values, "required": False}), data["default"]):
                self.error(
                    (*path, "default"),
                    N_("the default (%(value)s) does not fit %(field)s"),
                    value=describe(data["default"]),
                    field=a_field(data["type"]),
                )

    def check_prefill_lookup(self, path, data: dict, fields: Mapping[str, Field]) -> None:
        """A field's ``prefill: {source:, from:, value:}`` against the site's prefill sources
        and the procedure's ``fields``: the source is declared, its type gives ``value``, and
        the ``from:`` field exists and has a type the source takes as a key."""
        if "search" in data and data.get("type") == "address" and self.site is not None:
            self.check_address_search((*path, "search"), data["search"])
        lookup = data.get("prefill")
        if not isinstance(lookup, dict) or self.site is None:
            return
        path = (*path, "prefill")
        sources = self.site.prefill_sources
        source = sources.get(lookup["source"])
        if source is None:
            self.error(
                (*path, "source"),
                N_("the prefill source %(name)s is not declared in the site config%(hint)s"),
                name=repr(lookup["source"]),
                hint=suggestion(lookup["source"], sources),
            )
            return
        if source.keys is None:  # the site was read without the installed types
            return
        if lookup["value"] not in source.keys:
            self.error(
                (*path, "value"),
                N_("%(source)s (%(kind)s) gives no %(name)s%(hint)s"),
                source=repr(source.name),
                kind=a_prefill_source(source.type),
                name=repr(lookup["value"]),
                hint=suggestion(lookup["value"], source.keys),
            )
        if "from" not in lookup:
            if not source.from_identity:
                self.error(
                    path,
                    N_("%(source)s (%(kind)s) needs a key: say from which field with from:"),
                    source=repr(source.name),
                    kind=a_prefill_source(source.type),
                )
            return
        names = lookup["from"] if isinstance(lookup["from"], list) else [lookup["from"]]
        if len(names) != source.from_count:
            self.error(
                (*path, "from"),
                N_("%(source)s (%(kind)s) takes %(count)s in from:"),
                source=repr(source.name),
                kind=a_prefill_source(source.type),
                count=Phrase(N_("one field"))
                if source.from_count == 1
                else Phrase(N_("a list of %(number)s fields"), number=source.from_count),
            )
            return
        for position, name in enumerate(names):
            where = (*path, "from") if len(names) == 1 else (*path, "from", position)
            self.check_prefill_origin(where, data["id"], name, fields, source)

    def check_address_search(self, path, name: str) -> None:
        """An address field's ``search:`` names a declared source that suggests addresses."""
        sources = self.site.prefill_sources
        source = sources.get(name)
        if source is None:
            self.error(
                path,
                N_("the prefill source %(name)s is not declared in the site config%(hint)s"),
                name=repr(name),
                hint=suggestion(name, sources),
            )
        elif source.keys is not None and not source.searches:
            self.error(
                path,
                N_("%(source)s (%(kind)s) does not suggest addresses: name a ban source"),
                source=repr(name),
                kind=a_prefill_source(source.type),
            )

    def check_prefill_origin(self, path, field_id: str, name: str, fields, source) -> None:
        """One field of a lookup's ``from:``: it exists and the source takes its type."""
        origin = fields.get(name)
        if origin is None:
            self.error(
                path,
                N_("unknown field %(name)s in from:%(hint)s"),
                name=repr(name),
                hint=suggestion(name, fields),
            )
        elif name == field_id:
            self.error(path, N_("a field cannot be prefilled from itself"))
        elif origin.type not in source.from_types:
            takes = Phrase(N_("takes no key"))
            if source.from_types:
                kinds = [a_field(kind) for kind in source.from_types]
                takes = Phrase(
                    N_("takes %(kinds)s"), kinds=joined(kinds, N_("%(first)s or %(rest)s"))
                )
            self.error(
                path,
                N_("%(name)s is %(field)s, but %(source)s (%(kind)s) %(takes)s"),
                name=repr(name),
                field=a_field(origin.type),
                source=repr(source.name),
                kind=a_prefill_source(source.type),
                takes=takes,
            )

    def attach_expressions(self, path, data: dict, field_: Field, scope: Scope) -> Field:
        """Check the field's ``visible_if`` (and its sub-fields') against ``scope``."""
        changes: dict[str, Any] = {}
        if "visible_if" in data:
            names = analyse(data["visible_if"]).names
            if field_.id in names:
                self.error(
                    (*path, "visible_if"),
                    N_("the field %(id)s cannot depend on itself"),
                    id=repr(field_.id),
                )
            else:
                changes["visible_if"] = self.expression(
                    (*path, "visible_if"), data["visible_if"], scope
                )
        if field_.type == "group":
            locals_ = {f.id: f for f in field_.fields}
            inner = Scope(scope.fields, locals_, scope.transition, scope.transition_id)
            subs = {item["id"]: (i, item) for i, item in enumerate(data["fields"])}
            changes["fields"] = tuple(
                self.attach_expressions((*path, "fields", subs[f.id][0]), subs[f.id][1], f, inner)
                for f in field_.fields
            )
        return replace(field_, **changes) if changes else field_


_FIELD_ATTRIBUTES = frozenset(Field.__dataclass_fields__)


def fits(target: Field, value: Any) -> bool:
    """Whether ``value`` has the shape ``target`` stores (formats are judged later)."""
    schema = fieldtypes.value_schema(target)
    schema.pop("pattern", None)
    return Draft202012Validator(schema).is_valid(value)


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return isinstance(a, str) and isinstance(b, str) and _is_iso(a) and _is_iso(b)


def _is_iso(value: str) -> bool:
    return fieldtypes.is_iso_date(value)
