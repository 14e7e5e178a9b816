"""The static checks of an expression or a ``{{ … }}`` text, before it ever runs.

:func:`analyse` parses a source in the sandbox of :mod:`definitions.expressions` and says
what it reads (names, and chains such as ``case.created_at.year``) or why it cannot be
used: it does not parse, it nests more than :data:`MAX_EXPRESSION_DEPTH` levels, it calls,
filters or tests with something not allowed, or a constant part of it would build too large
a value (:mod:`definitions.expression_bounds`). The readers check the names against the
procedure.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.utils import _PassArg

from .expression_bounds import bounded_join, check_binop
from .expressions import FILTERS, HELPERS, TESTS, sandbox
from .texts import N_, Phrase

_environment = sandbox()

#: How deeply the parts of one expression may nest (parentheses, chains of ``or``…).
MAX_EXPRESSION_DEPTH = 50


def this_source(template: bool) -> Phrase:
    """The words "this text" or "this expression", for messages about a source."""
    return Phrase(N_("this text")) if template else Phrase(N_("this expression"))


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


def _refusal(tree: nodes.Node, this: Phrase) -> Phrase | None:
    for kind, label in _FORBIDDEN_BLOCKS.items():
        if any(True for _ in _find_all(tree, kind)):
            msgid = N_("%(this)s uses %(block)s, which is not allowed")
            return Phrase(msgid, this=this, block=label)
    for call in _find_all(tree, nodes.Call):
        if isinstance(call.node, nodes.Name):
            if call.node.name not in HELPERS:
                msgid = N_(
                    "calling %(name)s is not allowed in %(this)s; the only functions are "
                    "age() and len()"
                )
                return Phrase(msgid, name=call.node.name, this=this)
        else:
            method = (
                call.node.attr if isinstance(call.node, nodes.Getattr) else Phrase(N_("a method"))
            )
            msgid = N_(
                "calling the method %(name)s is not allowed in %(this)s; the only functions "
                "are age() and len()"
            )
            return Phrase(msgid, name=method, this=this)
    for node in _find_all(tree, nodes.Filter):
        if node.name not in FILTERS:
            msgid = N_("unknown filter %(name)s in %(this)s%(hint)s")
            return Phrase(msgid, name=repr(node.name), this=this, hint=_nearest(node.name, FILTERS))
    for node in _find_all(tree, nodes.Test):
        if node.name not in TESTS:
            msgid = N_("unknown test %(name)s in %(this)s%(hint)s")
            return Phrase(msgid, name=repr(node.name), this=this, hint=_nearest(node.name, TESTS))
    for node in _find_all(tree, (nodes.Getattr, nodes.Getitem)):
        attribute = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", "")
        if isinstance(attribute, str) and attribute.startswith("_"):
            msgid = N_("names starting with '_' (%(name)s) are not allowed in %(this)s")
            return Phrase(msgid, name=repr(attribute), this=this)
    return None


def _nearest(word: str, choices) -> Phrase:
    match = difflib.get_close_matches(word, sorted(choices), n=1)
    return Phrase(N_("; did you mean %(name)s?"), name=repr(match[0])) if match else Phrase()


class _NotConstant(Exception):
    pass


_UNKNOWN = object()


def _depth(tree: nodes.Node) -> int:
    """How deeply the nodes of ``tree`` nest (without recursion)."""
    deepest, pending = 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest


def _constant(node: nodes.Node, known: dict[int, Any]) -> Any:
    """The value of ``node`` if it is a constant, computed with the sandbox's bounded
    operators (a :class:`SecurityError` says what would be too large); else
    :class:`_NotConstant`."""
    value = known.get(id(node), None)
    if value is None and id(node) not in known:
        try:
            value = _fold(node, known)
        except _NotConstant:
            value = _UNKNOWN
        except SecurityError:
            raise
        except Exception:  # 1 / 0, 'a' * 'b'…: for the run time to say
            value = _UNKNOWN
        known[id(node)] = value
    if value is _UNKNOWN:
        raise _NotConstant
    return value


def _fold(node: nodes.Node, known: dict[int, Any]) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_constant(item, known) for item in node.items]
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.BinExpr):
        left, right = _constant(node.left, known), _constant(node.right, known)
        check_binop(node.operator, left, right)
        return _environment.binop_table[node.operator](left, right)
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        return _environment.unop_table[node.operator](_constant(node.node, known))
    if isinstance(node, nodes.Concat):
        return bounded_join([_constant(part, known) for part in node.nodes])
    if isinstance(node, nodes.Filter) and node.node is not None and node.name in FILTERS:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _NotConstant
        function = _environment.filters[node.name]
        arguments = [_constant(node.node, known)]
        arguments += [_constant(argument, known) for argument in node.args]
        keywords = {pair.key: _constant(pair.value, known) for pair in node.kwargs}
        passed = _PassArg.from_obj(function)
        if passed is _PassArg.context:
            raise _NotConstant
        if passed is _PassArg.eval_context:
            arguments.insert(0, EvalContext(_environment))
        elif passed is _PassArg.environment:
            arguments.insert(0, _environment)
        return function(*arguments, **keywords)
    raise _NotConstant


def _too_large(tree: nodes.Node, this: Phrase) -> Phrase | None:
    """Why a constant part of ``tree`` would build too large a value, if it would."""
    known: dict[int, Any] = {}
    for node in _find_all(tree, (nodes.BinExpr, nodes.Concat, nodes.Filter)):
        try:
            _constant(node, known)
        except _NotConstant:
            continue
        except SecurityError as error:
            reason = error.args[0] if error.args else str(error)
            msgid = N_("%(this)s builds too large a value: %(reason)s")
            return Phrase(msgid, this=this, reason=reason)
    return None


@lru_cache(maxsize=8192)
def analyse(source: str, template: bool = False) -> Analysis:
    """Parse ``source`` and say what it reads, or why it does not parse or is not allowed."""
    what = "text" if template else "expression"
    this = this_source(template)
    try:
        if template:
            tree = _environment.parse(source)
        else:
            parser = Parser(_environment, source, state="variable")
            tree = parser.parse_expression()
            if not parser.stream.eos:
                token = parser.stream.current
                msgid = N_("unexpected %(token)s after the expression")
                return Analysis(frozenset(), error=Phrase(msgid, token=repr(token.value)))
    except TemplateSyntaxError as error:
        if not error.message:
            return Analysis(frozenset(), error=Phrase(N_("this does not parse")))
        # Jinja's own words, in English
        message = error.message.replace("end of template", f"end of the {what}")
        message = message[:1].lower() + message[1:]
        return Analysis(frozenset(), error=message)
    except RecursionError:  # the parser recurses once per parenthesis (and more)
        return Analysis(frozenset(), error=_too_deep(this))
    if _depth(tree) > MAX_EXPRESSION_DEPTH + (2 if template else 0):
        return Analysis(frozenset(), error=_too_deep(this))
    refusal = _refusal(tree, this) or _too_large(tree, this)
    if refusal:
        return Analysis(frozenset(), refusal=refusal)
    if template:
        names = frozenset(find_undeclared_variables(tree))
    else:
        names = frozenset(node.name for node in _find_all(tree, nodes.Name) if node.ctx == "load")
    chains = [c for node in _find_all(tree, (nodes.Getattr, nodes.Getitem)) if (c := _chain(node))]
    chains = [(name, path) for name, path in chains if name in names]
    return Analysis(names, tuple(dict.fromkeys(chains)))


def _too_deep(this: Phrase) -> Phrase:
    msgid = N_(
        "the parts of %(this)s nest more than %(depth)s levels deep; split it or write it "
        "more simply"
    )
    return Phrase(msgid, this=this, depth=MAX_EXPRESSION_DEPTH)
