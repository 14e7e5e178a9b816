"""Problems found in definitions, and the exceptions that carry them.

Exception tree::

    DefinitionError            every problem of a set of files (``.problems``)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: The most problems listed for one file; the others are counted in one last problem.
MAX_PROBLEMS = 200


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong in a file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


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
            result.append(
                Problem(
                    file,
                    first.line,
                    first.column,
                    f"and {rest:,} more problem{'s' if rest > 1 else ''} in this file, not "
                    "listed; fix the ones above first",
                )
            )
    return result
