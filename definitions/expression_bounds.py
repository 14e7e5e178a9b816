"""What a sandboxed expression or text may build, and the sandbox that checks it.

Repeating (``*``), joining (``+``, ``~``, ``join``, ``replace``, ``sum``) and
``%``-formatting may not make a text or a list longer than :data:`MAX_LENGTH`, multiplying
and raising to a power may not make a number of more than :data:`MAX_INT_BITS` bits, and a
rendered text may not exceed :data:`MAX_LENGTH` characters. Each operation is checked
before it is computed and refused with a :class:`~jinja2.exceptions.SecurityError` whose
message is a :class:`~definitions.texts.Phrase`. What depends on the answers is refused
when it runs; a constant part that breaks a bound (``'a' * 10**9``) is refused when the
file loads (:mod:`definitions.expression_checks`), without building it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from jinja2 import nodes, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.filters import do_replace, make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .texts import N_, Count, Phrase

#: The most characters a text, or items a list, that an expression builds or a text renders
#: may have. A notification is a few hundred characters; a hundred thousand is a long book
#: chapter.
MAX_LENGTH = 100_000
#: The most bits a number built by ``*`` or ``**`` may have (about 1,200 digits).
MAX_INT_BITS = 4096

_SIZED = (str, list, tuple)
#: A ``%`` conversion's width and precision: ``%-10.3f``, ``%*d``, ``%(name)5s``.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?")


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
THIS_TEXT = Phrase(N_("this text"))


def bound_length(what: Phrase, value: Any, length: int) -> None:
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


def check_binop(operator: str, left: Any, right: Any) -> None:
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
                bound_length(what, sequence, len(sequence) * max(times, 0))
                return
        if _is_int(left) and _is_int(right):
            _bound_bits(_THIS_MULTIPLICATION, left.bit_length() + right.bit_length())
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            what = Phrase(N_("raising to the power %(power)s"), power=Count(right))
            _bound_bits(what, right * math.log2(abs(left)))
    elif operator == "+":
        if isinstance(left, _SIZED) and isinstance(right, type(left)):
            bound_length(_THIS_ADDITION, left, len(left) + len(right))
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
                    bound_length(_THIS_PERCENT_WIDTH, left, int(number))
        bound_length(
            _THIS_PERCENT,
            left,
            len(left) + sum(len(a) if isinstance(a, str) else 0 for a in arguments),
        )


def bounded_join(parts: Any) -> str:
    """``a ~ b ~ c``, refused if the result would be too long."""
    texts = [str(part) for part in parts]
    bound_length(_THIS_CONCAT, "", sum(map(len, texts)))
    return "".join(texts)


@pass_eval_context
def replace_filter(eval_ctx, value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    bound_length(_THIS_REPLACE, "", len(text) + found * (len(new) - len(old)))
    return do_replace(eval_ctx, text, old, new, count)


@pass_environment
def join_filter(environment, value: Any, d: Any = "", attribute: Any = None) -> str:
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    texts, separator = [str(item) for item in value], str(d)
    length = sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0)
    bound_length(_THIS_JOIN, "", length)
    return separator.join(texts)


@pass_environment
def sum_filter(environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    items = list(iterable)
    if isinstance(start, _SIZED):
        length = len(start) + sum(len(item) for item in items if isinstance(item, _SIZED))
        bound_length(_THIS_SUM, start, length)
    return sum(items, start)


class BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a call that checks the length of the result first."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with every operator that can build a large value checked first.

    Intercepted operators are never folded into constants when a text compiles, so a
    constant ``'a' * 10**9`` is not built by the compiler either."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def bounded_join(parts: Any) -> str:
        return bounded_join(parts)
