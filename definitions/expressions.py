"""Expressions (``visible_if``, ``when``, ``if``) and ``{{ … }}`` texts, in a Jinja2 sandbox.

They are parsed and their names checked when a procedure loads, so that a typo is a
load-time error, never a run-time one; each source text is compiled once, on first use,
and the compiled form is shared by every procedure that uses the same text.

What the sandbox may build is bounded: repeating (``*``), joining (``+``, ``~``, ``join``,
``replace``, ``sum``) and ``%``-formatting may not make a text or a list longer than
:data:`MAX_LENGTH`, multiplying and raising to a power may not make a number of more than
:data:`MAX_INT_BITS` bits, and a rendered text may not exceed :data:`MAX_LENGTH`
characters. A constant part that breaks a bound (``'a' * 10**9``) is refused when the file
loads, without building it; what depends on the answers is refused when it runs, before it
is built. Expressions may not nest more than :data:`MAX_EXPRESSION_DEPTH` levels.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import (
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    nodes,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.filters import do_replace, make_attrgetter
from jinja2.meta import find_undeclared_variables
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from .texts import N_, Count, Phrase

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


#: The most characters a text, or items a list, that an expression builds or a text renders
#: may have. A notification is a few hundred characters; a hundred thousand is a long book
#: chapter.
MAX_LENGTH = 100_000
#: The most bits a number built by ``*`` or ``**`` may have (about 1,200 digits).
MAX_INT_BITS = 4096
#: How deeply the parts of one expression may nest (parentheses, chains of ``or``…).
MAX_EXPRESSION_DEPTH = 50

_SIZED = (str, list, tuple)
#: A ``%`` conversion's width and precision: ``%-10.3f``, ``%*d``, ``%(name)5s``.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?")


def this_source(template: bool) -> Phrase:
    """ "this text" or "this expression", for messages about a source."""
    return Phrase(N_("this text")) if template else Phrase(N_("this expression"))


def _units(value: Any, count: int, *, plural: bool = False) -> Phrase:
    """``count`` characters of a text, or items of a list (``plural``: even for one)."""
    one = count == 1 and not plural
    if isinstance(value, str):
        msgid = N_("%(count)s character") if one else N_("%(count)s characters")
    else:
        msgid = N_("%(count)s item") if one else N_("%(count)s items")
    return Phrase(msgid, count=Count(count))


#: What the bounded operations are called in their messages.
_THIS_ADDITION = Phrase(N_("this addition"))
_THIS_MULTIPLICATION = Phrase(N_("this multiplication"))
_THIS_PERCENT_WIDTH = Phrase(N_("this '%(sign)s' width or precision"), sign="%")
_THIS_PERCENT = Phrase(N_("this '%(sign)s' formatting"), sign="%")
_THIS_CONCAT = Phrase(N_("this '~'"))
_THIS_REPLACE = Phrase(N_("this replace"))
_THIS_JOIN = Phrase(N_("this join"))
_THIS_SUM = Phrase(N_("this sum"))
_THIS_TEXT = Phrase(N_("this text"))


def _bound_length(what: Phrase, value: Any, length: int) -> None:
    if length > MAX_LENGTH:
        raise SecurityError(
            Phrase(
                N_(
                    "%(what)s would build %(count)s; the most a text or an expression may "
                    "build is %(most)s"
                ),
                what=what,
                count=_units(value, length, plural=True),
                most=Count(MAX_LENGTH),
            )
        )


def _bound_bits(what: Phrase, bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise SecurityError(
            Phrase(
                N_(
                    "%(what)s would build a number of about %(bits)s bits; the most a text or "
                    "an expression may build is %(most)s bits"
                ),
                what=what,
                bits=Count(int(bits)),
                most=Count(MAX_INT_BITS),
            )
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int)  # bool too: True is 1


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``left operator right`` if its result would break a bound, before computing it."""
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SIZED) and _is_int(times):
                msgid = (
                    N_("repeating a text of %(size)s %(times)s times")
                    if isinstance(sequence, str)
                    else N_("repeating a list of %(size)s %(times)s times")
                )
                size = _units(sequence, len(sequence))
                what = Phrase(msgid, size=size, times=Count(times))
                _bound_length(what, sequence, len(sequence) * max(times, 0))
                return
        if _is_int(left) and _is_int(right):
            _bound_bits(_THIS_MULTIPLICATION, left.bit_length() + right.bit_length())
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            what = Phrase(N_("raising to the power %(power)s"), power=Count(right))
            _bound_bits(what, right * math.log2(abs(left)))
    elif operator == "+":
        if isinstance(left, _SIZED) and isinstance(right, type(left)):
            _bound_length(_THIS_ADDITION, left, len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        arguments = right if isinstance(right, tuple) else (right,)
        for width, precision in _PERCENT.findall(left):
            for number in (width, precision):
                if number == "*":
                    raise SecurityError(
                        Phrase(
                            N_("a '*' width or precision is not allowed after '%(sign)s'"),
                            sign="%",
                        )
                    )
                if number:
                    _bound_length(_THIS_PERCENT_WIDTH, left, int(number))
        _bound_length(
            _THIS_PERCENT,
            left,
            len(left) + sum(len(a) if isinstance(a, str) else 0 for a in arguments),
        )


def _bounded_join(parts: Any) -> str:
    """``a ~ b ~ c``, refused if the result would be too long."""
    texts = [str(part) for part in parts]
    _bound_length(_THIS_CONCAT, "", sum(map(len, texts)))
    return "".join(texts)


@pass_eval_context
def _replace(eval_ctx, value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    _bound_length(_THIS_REPLACE, "", len(text) + found * (len(new) - len(old)))
    return do_replace(eval_ctx, text, old, new, count)


@pass_environment
def _join(environment, value: Any, d: Any = "", attribute: Any = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    texts, separator = [str(item) for item in value], str(d)
    length = sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0)
    _bound_length(_THIS_JOIN, "", length)
    return separator.join(texts)


@pass_environment
def _sum(environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    items = list(iterable)
    if isinstance(start, _SIZED):
        length = len(start) + sum(len(item) for item in items if isinstance(item, _SIZED))
        _bound_length(_THIS_SUM, start, length)
    return sum(items, start)


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a call that checks the length of the result first."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with every operator that can build a large value checked first.

    Intercepted operators are never folded into constants when a text compiles, so a
    constant ``'a' * 10**9`` is not built by the compiler either."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def bounded_join(parts: Any) -> str:
        return _bounded_join(parts)


_environment = _BoundedSandbox(
    undefined=StrictUndefined,
    autoescape=False,
    finalize=lambda value: _shown(value),
)
_environment.globals.clear()
_environment.globals.update(age=age, len=len)
_environment.filters = {name: f for name, f in _environment.filters.items() if name in FILTERS}
_environment.filters.update(replace=_replace, join=_join, sum=_sum)
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
        _check_binop(node.operator, left, right)
        return _environment.binop_table[node.operator](left, right)
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        return _environment.unop_table[node.operator](_constant(node.node, known))
    if isinstance(node, nodes.Concat):
        return _bounded_join([_constant(part, known) for part in node.nodes])
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
        pieces, length = [], 0
        for piece in _compiled_template(self.source).generate(**context):
            length += len(piece)
            _bound_length(_THIS_TEXT, "", length)
            pieces.append(piece)
        return "".join(pieces)

    @property
    def names(self) -> frozenset[str]:
        return analyse(self.source, True).names
