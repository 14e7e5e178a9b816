"""Expressions (``visible_if``, ``when``, ``if``) and ``{{ … }}`` texts, in a Jinja2 sandbox.

What an expression may read and call is set here: the names it sees, the only filters and
tests it may use and the sandbox they run in. Each source text is compiled once, on first
use, and the compiled form is shared by every procedure that uses the same text.

What the sandbox may build is bounded (:mod:`definitions.expression_bounds`); expressions
and texts are parsed and their names checked when a procedure loads, so that a typo is a
load-time error, never a run-time one (:mod:`definitions.expression_checks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes, pass_context
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import text_filters
from .expression_bounds import THIS_TEXT, bound_length
from .expression_bounds import BoundedSandbox as _BoundedSandbox
from .expression_bounds import join_filter as _join
from .expression_bounds import replace_filter as _replace
from .expression_bounds import sum_filter as _sum

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
    | set(text_filters.FILTERS)  # amount, number, date, datetime, phone: for people
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


_environment = _BoundedSandbox(
    undefined=StrictUndefined,
    autoescape=False,
    finalize=lambda value: _shown(value),
)
_environment.globals.clear()
_environment.globals.update(age=age, len=len)
_environment.filters = {name: f for name, f in _environment.filters.items() if name in FILTERS}
_environment.filters.update(replace=_replace, join=_join, sum=_sum, **text_filters.FILTERS)
_environment.tests = {name: t for name, t in _environment.tests.items() if name in TESTS}


#: The same sandbox for HTML documents (``document:`` templates): every value is escaped.
_html_environment = _environment.overlay(autoescape=True)


def sandbox() -> ImmutableSandboxedEnvironment:
    """The sandbox every expression and text runs in (its filters, tests and globals)."""
    return _environment


@lru_cache(maxsize=8192)
def _compiled_expression(source: str):
    return _environment.compile_expression(source, undefined_to_none=False)


#: names a call may read from the context besides the expression's own (``age`` reads today)
_ALWAYS_READ = frozenset({"today", "now"})


@lru_cache(maxsize=8192)
def _names_read(source: str) -> frozenset[str] | None:
    """The names ``source`` reads, or None when it does not parse (the compiler will say)."""
    try:
        tree = Parser(_environment, source, state="variable").parse_expression()
    except (TemplateError, RecursionError):
        return None
    found = [tree, *tree.find_all(nodes.Name)]  # find_all yields the descendants only
    return _ALWAYS_READ | {
        node.name for node in found if isinstance(node, nodes.Name) and node.ctx == "load"
    }


@lru_cache(maxsize=8192)
def _compiled_template(source: str):
    return _environment.from_string(source)


@lru_cache(maxsize=256)
def _compiled_html(source: str):
    return _html_environment.from_string(source)


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked expression; :meth:`evaluate` compiles it on first use."""

    source: str

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The value of the expression; only the names it reads are taken from ``context``
        (a form of 500 fields does not copy 500 names for each condition)."""
        names = _names_read(self.source)
        if names is None:
            return _compiled_expression(self.source)(**context)
        return _compiled_expression(self.source)(
            **{name: context[name] for name in names if name in context}
        )

    def holds(self, context: Mapping[str, Any]) -> bool:
        """Whether the condition holds. A condition that cannot be evaluated, such as
        ``count > 2`` while ``count`` is not answered, does not hold."""
        try:
            return bool(self.evaluate(context))
        except (TypeError, ValueError, ArithmeticError, TemplateError):
            return False


@dataclass(frozen=True, slots=True)
class Template:
    """A checked ``{{ … }}`` text; :meth:`render` compiles it on first use."""

    source: str

    def render(
        self, context: Mapping[str, Any], language: str | None = None, timezone: str | None = None
    ) -> str:
        """The text for a reader of ``language`` (French by default), moments in the
        site's ``timezone``."""
        pieces, length = [], 0
        with text_filters.reading(language, timezone):
            for piece in _compiled_template(self.source).generate(**context):
                length += len(piece)
                bound_length(THIS_TEXT, "", length)
                pieces.append(piece)
        return "".join(pieces)


@dataclass(frozen=True, slots=True)
class HtmlTemplate:
    """A checked HTML document template (a ``document:`` action's): the same names,
    filters and bounds as a text, every value HTML-escaped."""

    source: str

    def render(
        self, context: Mapping[str, Any], language: str | None = None, timezone: str | None = None
    ) -> str:
        pieces = []
        with text_filters.reading(language, timezone):
            for piece in _compiled_html(self.source).generate(**context):
                pieces.append(piece)
        return "".join(pieces)
