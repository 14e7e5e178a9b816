"""Problems found in definitions, and the exceptions that carry them.

Exception tree::

    DefinitionError            every problem of a set of files (``.problems``)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .texts import N_, Count, render

#: The most problems listed for one file; the others are counted in one last problem.
MAX_PROBLEMS = 200


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong in a file, at a 1-based line and column.

    ``message`` is the English text. A problem made with :meth:`of` also keeps its msgid and
    values, and :meth:`text` renders it in another language; two problems compare by their
    place and English text only."""

    file: str
    line: int
    column: int
    message: str
    msgid: str | None = field(default=None, compare=False)
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, file: str, line: int, column: int, msgid: str, /, **params: Any) -> Problem:
        """A problem whose message is ``msgid`` (marked with ``N_``) filled with ``params``."""
        return cls(file, line, column, render(msgid, params), msgid, tuple(params.items()))

    def text(self, catalogue=None) -> str:
        """The message translated by ``catalogue`` (a gettext object, e.g.
        :func:`definitions.texts.translations`); the English one without a msgid."""
        if self.msgid is None or catalogue is None:
            return self.message
        return render(self.msgid, dict(self.params), catalogue)

    def as_line(self, catalogue=None) -> str:
        """``FILE:LINE:COLUMN: MESSAGE``, the message translated by ``catalogue``."""
        return f"{self.file}:{self.line}:{self.column}: {self.text(catalogue)}"

    def __str__(self) -> str:
        return self.as_line()


class DefinitionError(Exception):
    """Raised when files do not load; carries every problem found, sorted."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def _order(problem: Problem) -> tuple[str, int, int, str]:
    return problem.file, problem.line, problem.column, problem.message


def capped(problems: Iterable[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """The problems sorted, without repeats, at most ``limit`` of them for each file: the
    rest of a file's problems are summed up in one last problem, where the first of them is."""
    by_file: dict[str, list[Problem]] = {}
    for problem in sorted(set(problems), key=_order):  # as ``sorted``, without __lt__ calls
        by_file.setdefault(problem.file, []).append(problem)
    result: list[Problem] = []
    for file, listed in by_file.items():
        result += listed[:limit]
        if len(listed) > limit:
            rest, first = len(listed) - limit, listed[limit]
            msgid = (
                N_("and %(count)s more problem in this file, not listed; fix the ones above first")
                if rest == 1
                else N_(
                    "and %(count)s more problems in this file, not listed; fix the ones above first"
                )
            )
            result.append(Problem.of(file, first.line, first.column, msgid, count=Count(rest)))
    return result
