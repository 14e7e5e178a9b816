"""Expressions (``visible_if``, ``when``, ``if``) and ``{{ … }}`` texts, in a Jinja2 sandbox.

They are parsed and their names checked when a procedure loads, so that a typo is a
load-time error, never a run-time one; each source text is compiled once, on first use,
and the compiled form is shared by every procedure that uses the same text.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes, pass_context
from jinja2.meta import find_undeclared_variables
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: What an expression may read of ``case``.
CASE_ATTRIBUTES = frozenset(
    {"reference", "state", "procedure", "department", "created_at", "submitted_at"}
)
#: Names every expression sees besides the answers.
BUILTIN_NAMES = frozenset({"case", "today", "now", "age", "len"})
#: The only functions an expression may call.
HELPERS = frozenset({"age", "len"})
#: Jinja filters and tests that only transform values (no access to anything else).
FILTERS = frozenset(
    {
        "capitalize",
        "default",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "lower",
        "replace",
        "round",
        "string",
        "title",
        "trim",
        "truncate",
        "upper",
        "abs",
        "sort",
        "unique",
        "min",
        "max",
        "sum",
        "d",
        "e",
        "escape",
        "wordcount",
        "list",
    }
)
TESTS = frozenset(
    {
        "defined",
        "undefined",
        "none",
        "number",
        "string",
        "mapping",
        "sequence",
        "boolean",
        "true",
        "false",
        "integer",
        "float",
        "in",
        "divisibleby",
        "even",
        "odd",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "equalto",
        "lower",
        "upper",
        "sameas",
    }
)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@pass_context
def age(context, born: Any) -> int:
    """Whole years from ``born`` to today (the ``today`` of the evaluation)."""
    today = _as_date(context.get("today") or dt.date.today())
    born = _as_date(born)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _shown(value: Any) -> Any:
    """How a value reads in a text: an unanswered field as nothing (not "None"), a whole
    amount without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_environment = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    finalize=lambda value: _shown(value),
)
_environment.globals.clear()
_environment.globals.update(age=age, len=len)
_environment.filters = {name: f for name, f in _environment.filters.items() if name in FILTERS}
_environment.tests = {name: t for name, t in _environment.tests.items() if name in TESTS}


@dataclass(frozen=True, slots=True)
class Analysis:
    """What an expression or template reads, or why it cannot be used.

    ``error`` is set when the text does not parse, ``refusal`` when it parses but uses
    something not allowed (a call, an unknown filter, an include…).
    """

    names: frozenset[str]
    chains: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("case", ("state",)), …
    error: str | None = None
    refusal: str | None = None

    @property
    def attributes(self) -> tuple[tuple[str, str], ...]:
        """(name, first attribute) pairs, e.g. ("case", "state")."""
        return tuple(dict.fromkeys((name, path[0]) for name, path in self.chains))


_FORBIDDEN_BLOCKS = {
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
}


def _find_all(tree: nodes.Node, kind):
    """Like ``Node.find_all``, but the node itself counts too."""
    if isinstance(tree, kind):
        yield tree
    yield from tree.find_all(kind)


def _chain(node: nodes.Node) -> tuple[str, tuple[str, ...]] | None:
    """``case.created_at.year`` as ("case", ("created_at", "year")), if rooted at a name."""
    path: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            path.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            path.append(node.arg.value)
        else:
            path = []  # an index or a computed key: what follows is not checked
        node = node.node
    if isinstance(node, nodes.Name) and path:
        return node.name, tuple(reversed(path))
    return None


def _refusal(tree: nodes.Node, what: str) -> str | None:
    for kind, label in _FORBIDDEN_BLOCKS.items():
        if any(True for _ in _find_all(tree, kind)):
            return f"this {what} uses {label}, which is not allowed"
    for call in _find_all(tree, nodes.Call):
        if isinstance(call.node, nodes.Name):
            if call.node.name not in HELPERS:
                return (
                    f"calling {call.node.name} is not allowed in this {what}; the only "
                    "functions are age() and len()"
                )
        else:
            method = call.node.attr if isinstance(call.node, nodes.Getattr) else "a method"
            return (
                f"calling the method {method} is not allowed in this {what}; the only "
                "functions are age() and len()"
            )
    for node in _find_all(tree, nodes.Filter):
        if node.name not in FILTERS:
            return f"unknown filter {node.name!r} in this {what}{_nearest(node.name, FILTERS)}"
    for node in _find_all(tree, nodes.Test):
        if node.name not in TESTS:
            return f"unknown test {node.name!r} in this {what}{_nearest(node.name, TESTS)}"
    for node in _find_all(tree, (nodes.Getattr, nodes.Getitem)):
        attribute = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", "")
        if isinstance(attribute, str) and attribute.startswith("_"):
            return f"names starting with '_' ({attribute!r}) are not allowed in this {what}"
    return None


def _nearest(word: str, choices) -> str:
    match = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


@lru_cache(maxsize=8192)
def analyse(source: str, template: bool = False) -> Analysis:
    """Parse ``source`` and say what it reads, or why it does not parse or is not allowed."""
    what = "text" if template else "expression"
    try:
        if template:
            tree = _environment.parse(source)
        else:
            parser = Parser(_environment, source, state="variable")
            tree = parser.parse_expression()
            if not parser.stream.eos:
                token = parser.stream.current
                return Analysis(
                    frozenset(), error=f"unexpected {token.value!r} after the expression"
                )
    except TemplateSyntaxError as error:
        message = (error.message or "this does not parse").replace(
            "end of template", f"end of the {what}"
        )
        message = message[:1].lower() + message[1:]
        return Analysis(frozenset(), error=message)
    refusal = _refusal(tree, what)
    if refusal:
        return Analysis(frozenset(), refusal=refusal)
    if template:
        names = frozenset(find_undeclared_variables(tree))
    else:
        names = frozenset(node.name for node in _find_all(tree, nodes.Name) if node.ctx == "load")
    chains = [c for node in _find_all(tree, (nodes.Getattr, nodes.Getitem)) if (c := _chain(node))]
    chains = [(name, path) for name, path in chains if name in names]
    return Analysis(names, tuple(dict.fromkeys(chains)))


@lru_cache(maxsize=8192)
def _compiled_expression(source: str):
    return _environment.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=8192)
def _compiled_template(source: str):
    return _environment.from_string(source)


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked expression; :meth:`evaluate` compiles it on first use."""

    source: str

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return _compiled_expression(self.source)(**context)

    def holds(self, context: Mapping[str, Any]) -> bool:
        """Whether the condition holds. A condition that cannot be evaluated, such as
        ``count > 2`` while ``count`` is not answered, does not hold."""
        try:
            return bool(self.evaluate(context))
        except (TypeError, ValueError, ArithmeticError, TemplateError):
            return False

    @property
    def names(self) -> frozenset[str]:
        return analyse(self.source).names


@dataclass(frozen=True, slots=True)
class Template:
    """A checked ``{{ … }}`` text; :meth:`render` compiles it on first use."""

    source: str

    def render(self, context: Mapping[str, Any]) -> str:
        return _compiled_template(self.source).render(**context)

    @property
    def names(self) -> frozenset[str]:
        return analyse(self.source, True).names
