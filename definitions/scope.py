"""The names an expression may read at one place of a file, and what reading
``name.a.b…`` of them would do at run time: an attribute that ``case``, a date or a
structured field does not have is a load-time problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import fieldtypes
from .expressions import BUILTIN_NAMES, CASE_ATTRIBUTES
from .model import Field
from .schemas import a_field, suggestion
from .texts import N_, Phrase


@dataclass(frozen=True)
class Scope:
    """The names an expression may read at one place of a file."""

    fields: Mapping[str, Field]
    locals: Mapping[str, Field] = field(default_factory=dict)  # sibling sub-fields of a group
    transition: Mapping[str, Field] | None = None  # the transition's form, in its on_fire
    transition_id: str | None = None

    def field(self, name: str) -> Field | None:
        return self.locals.get(name) or self.fields.get(name)

    def names(self) -> set[str]:
        names = set(self.fields) | set(self.locals) | BUILTIN_NAMES
        if self.transition is not None:
            names.add("transition")
        return names

    def chain_problem(self, name: str, attributes: tuple[str, ...]):
        """Why reading ``name.a.b…`` would fail at run time, as (message, hint), or None."""
        first, rest = attributes[0], attributes[1:]
        if name == "case":
            if first not in CASE_ATTRIBUTES:
                return (
                    Phrase(N_("unknown attribute %(name)s of case"), name=repr(first)),
                    suggestion(first, CASE_ATTRIBUTES),
                )
            kind = "datetime" if first in ("created_at", "submitted_at") else "text"
            return _value_problem(f"case.{first}", kind, rest)
        if name in ("today", "now"):
            return _value_problem(name, "date" if name == "today" else "datetime", attributes)
        if name == "transition":
            if self.transition is None:
                return None  # reported as a name
            target = self.transition.get(first)
            if target is None:
                return (
                    Phrase(
                        N_("the transition %(transition)s has no form field %(name)s"),
                        transition=repr(self.transition_id),
                        name=repr(first),
                    ),
                    suggestion(first, self.transition),
                )
            return _field_problem(f"transition.{first}", target, rest)
        target = self.field(name)
        if target is None:
            return None  # an unknown name, reported as such
        return _field_problem(name, target, attributes)


_PARTS = {
    "date": frozenset({"year", "month", "day"}),
    "datetime": frozenset({"year", "month", "day", "hour", "minute"}),
}


def _value_problem(label: str, kind: str, attributes: tuple[str, ...]):
    if not attributes:
        return None
    allowed = _PARTS.get(kind)
    name = repr(attributes[0])
    if allowed is None:
        return Phrase(N_("%(label)s has no attribute %(name)s"), label=repr(label), name=name), ""
    if attributes[0] not in allowed:
        return (
            Phrase(N_("%(label)s has no %(name)s"), label=repr(label), name=name),
            suggestion(attributes[0], allowed),
        )
    return _value_problem(f"{label}.{attributes[0]}", "number", attributes[1:])


def _field_problem(label: str, target: Field, attributes: tuple[str, ...]):
    if not attributes:
        return None
    if target.type == "date":
        return _value_problem(label, "date", attributes)
    keys = fieldtypes.structured_keys(target.type)
    first = attributes[0]
    field = a_field(target.type)
    if keys is None:
        msgid = N_("%(label)s is %(field)s: it has no %(name)s")
        return Phrase(msgid, label=repr(label), field=field, name=repr(first)), ""
    if first not in keys:
        return (
            Phrase(N_("%(field)s has no %(name)s"), field=field, name=repr(first)),
            suggestion(first, keys),
        )
    return _value_problem(f"{label}.{first}", "text", attributes[1:])
