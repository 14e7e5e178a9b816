"""``visible_if`` in the browser, by progressive enhancement.

:func:`to_client` translates a condition's Jinja2 syntax tree into a small JSON tree that
``static/renderers/conditions.js`` evaluates as the citizen types, when the condition only
uses what the browser can read: the page's own inputs, constants (and the answers of
earlier pages, inlined as constants), ``== != < > <= >=``, ``in`` / ``not in``,
``and`` / ``or`` / ``not`` and lists. Anything else (``age()``, ``len()``, ``today``,
``case``, ``x.attribute``, filters, tests) gives None: the field is then always shown in
the browser, and the server, which evaluates every condition, stays the judge.

The tree::

    {"input": NAME, "type": FIELD_TYPE}       the value of the page's input named NAME
    {"const": VALUE}                          a string, number, boolean, null or a list
    {"list": [TREE, …]}                       a list holding inputs
    {"op": "==" | "!=" | "<" | ">" | "<=" | ">=" | "in" | "not in", "args": [TREE, TREE]}
    {"op": "and" | "or", "args": [TREE, TREE]}   Python's: the deciding operand's value
    {"op": "not", "args": [TREE]}

Comparisons follow Python's: ordering ``None`` or a number against a text is an error on the
server (the field is then hidden), and so it is in the browser.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from definitions.expressions import Expression

_COMPARISONS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "lteq": "<=",
    "gteq": ">=",
    "in": "in",
    "notin": "not in",
}
_environment = ImmutableSandboxedEnvironment()


class _Untranslatable(Exception):
    """The condition uses something the browser cannot evaluate."""


def parse(source: str) -> nodes.Node | None:
    """The syntax tree of an expression, or None when it does not parse."""
    try:
        parser = Parser(_environment, source, state="variable")
        tree = parser.parse_expression()
    except TemplateSyntaxError:
        return None
    return tree if parser.stream.eos else None


def to_client(
    expression: Expression | str,
    inputs: Mapping[str, tuple[str, str]],
    constants: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The JSON tree of ``expression`` for conditions.js, or None if it cannot have one.

    ``inputs`` maps each name the browser can read to ``(HTML input name, field type)``;
    ``constants`` maps other names (earlier pages' answers) to their known values.
    """
    source = expression.source if isinstance(expression, Expression) else expression
    tree = parse(source)
    if tree is None:
        return None
    try:
        return _translate(tree, inputs, constants or {})
    except _Untranslatable:
        return None


def to_json(tree: dict[str, Any] | None) -> str | None:
    """The tree as the compact JSON text of a ``data-visible-if`` attribute."""
    if tree is None:
        return None
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def names_read(expression: Expression | str) -> frozenset[str]:
    """The names an expression reads (every ``Name`` node)."""
    source = expression.source if isinstance(expression, Expression) else expression
    tree = parse(source)
    if tree is None:
        return frozenset()
    found = {node.name for node in tree.find_all(nodes.Name)}
    if isinstance(tree, nodes.Name):
        found.add(tree.name)
    return frozenset(found)


def _translate(node: nodes.Node, inputs, constants) -> dict[str, Any]:
    if isinstance(node, nodes.Const):
        return {"const": _constant(node.value)}
    if isinstance(node, nodes.Name):
        if node.name in inputs:
            name, kind = inputs[node.name]
            return {"input": name, "type": kind}
        if node.name in constants:
            return {"const": _constant(constants[node.name])}
        raise _Untranslatable(node.name)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_translate(item, inputs, constants) for item in node.items]
        if all("const" in item for item in items):
            return {"const": [item["const"] for item in items]}
        return {"list": items}
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        inner = _translate(node.node, inputs, constants)
        value = inner.get("const")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"const": -value if isinstance(node, nodes.Neg) else value}
        raise _Untranslatable("a sign before something other than a number")
    if isinstance(node, (nodes.And, nodes.Or)):
        op = "and" if isinstance(node, nodes.And) else "or"
        return {
            "op": op,
            "args": [
                _translate(node.left, inputs, constants),
                _translate(node.right, inputs, constants),
            ],
        }
    if isinstance(node, nodes.Not):
        return {"op": "not", "args": [_translate(node.node, inputs, constants)]}
    if isinstance(node, nodes.Compare):
        return _compare(node, inputs, constants)
    raise _Untranslatable(type(node).__name__)


def _compare(node: nodes.Compare, inputs, constants) -> dict[str, Any]:
    # ``a < b < c`` is ``a < b and b < c``, as in Python
    left = _translate(node.expr, inputs, constants)
    pairs = []
    for operand in node.ops:
        if operand.op not in _COMPARISONS:
            raise _Untranslatable(operand.op)
        right = _translate(operand.expr, inputs, constants)
        pairs.append({"op": _COMPARISONS[operand.op], "args": [left, right]})
        left = right
    tree = pairs[0]
    for pair in pairs[1:]:
        tree = {"op": "and", "args": [tree, pair]}
    return tree


def _constant(value: Any) -> Any:
    """A JSON value for ``value``; dates as ISO text (the browser reads date inputs so)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Untranslatable("not a finite number")
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_constant(item) for item in value]
    raise _Untranslatable(type(value).__name__)
