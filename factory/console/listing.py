"""A procedure's problems beside the lines they are on: a few lines of source around each
problem (never the whole file), and the same problems as JSON for the editor."""

from __future__ import annotations

from dataclasses import dataclass, field

from definitions.errors import Problem

from ..language import problem_text

#: Lines of source shown before and after each faulty line.
CONTEXT_LINES = 2


@dataclass
class SourceLine:
    number: int
    text: str
    problems: list[Problem]


@dataclass
class Excerpt:
    """Consecutive lines of the source, around one or more faulty lines."""

    lines: list[SourceLine] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.lines[0].number


def excerpts(source: str, problems: list[Problem], name: str) -> list[Excerpt]:
    """The faulty lines of ``source`` with ``CONTEXT_LINES`` around each, windows that touch
    merged into one excerpt."""
    by_line: dict[int, list[Problem]] = {}
    lines = source.splitlines() or [""]
    for problem in problems:
        if problem.file == name:
            number = min(max(problem.line, 1), len(lines))
            by_line.setdefault(number, []).append(problem)
    shown = sorted(
        {
            number
            for faulty in by_line
            for number in range(faulty - CONTEXT_LINES, faulty + CONTEXT_LINES + 1)
            if 1 <= number <= len(lines)
        }
    )
    result: list[Excerpt] = []
    for number in shown:
        if not result or result[-1].lines[-1].number != number - 1:
            result.append(Excerpt())
        result[-1].lines.append(SourceLine(number, lines[number - 1], by_line.get(number, [])))
    return result


def as_json(problems: list[Problem], name: str) -> list[dict]:
    """The problems as the editor shows them: line, column and message in the reader's
    language; a problem of another file (a reusable workflow) is placed on the first line
    and names its file."""
    result = []
    for problem in problems:
        if problem.file == name:
            result.append(
                {"line": problem.line, "column": problem.column, "message": problem_text(problem)}
            )
        else:
            result.append(
                {
                    "line": 1,
                    "column": 1,
                    "message": f"{problem.file}:{problem.line}:{problem.column}: "
                    f"{problem_text(problem)}",
                }
            )
    return result
