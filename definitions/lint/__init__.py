"""The lint: what administrators write that loads, but reads badly or helps nobody.

The checker (:mod:`definitions.procedures`) refuses what breaks the format; the lint only
warns, about a file that may well be valid: a pattern nobody explains, a vague or shouted
label, a field that asks for the citizen's name without the ``autocomplete`` token that
lets a browser fill it (WCAG 1.3.5), a page too long to take in... Each warning has a
stable code (``lint/vague-label``) and a position, as the checker's problems do, and its
message is a msgid (English) translated where it is shown (French in the console).

Use :func:`lint_source` for a text being edited (the console), :func:`lint_file` for one
file and :func:`lint_paths` for the files and folders ``guichet check`` is given. The
rules, their codes and why each exists are :data:`RULES` (the administrators' guide lists
them too, "Warnings of the lint").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..loader import MAX_NODES, Document, load, load_file
from ..texts import N_
from .rules import RULES, Linter

__all__ = ["RULES", "Finding", "lint_document", "lint_file", "lint_paths", "lint_source"]

#: The word before each warning's message, as errors have none.
WARNING = N_("warning")


@dataclass(frozen=True, slots=True)
class Finding:
    """One warning: the rule's ``code`` and the :class:`Problem` that places and says it."""

    code: str
    problem: Problem

    @property
    def file(self) -> str:
        return self.problem.file

    @property
    def line(self) -> int:
        return self.problem.line

    @property
    def column(self) -> int:
        return self.problem.column

    @property
    def message(self) -> str:
        return self.problem.message

    def text(self, catalogue=None) -> str:
        """The message translated by ``catalogue``; English without one."""
        return self.problem.text(catalogue)

    def as_line(self, catalogue=None) -> str:
        """``FILE:LINE:COLUMN: warning: MESSAGE [CODE]``, translated by ``catalogue``."""
        word = catalogue.gettext(WARNING) if catalogue is not None else WARNING
        return (
            f"{self.file}:{self.line}:{self.column}: {word}: {self.text(catalogue)} [{self.code}]"
        )

    def as_dict(self, catalogue=None) -> dict:
        """The warning as JSON data, for an editor's diagnostics."""
        return {
            "severity": "warning",
            "code": self.code,
            "line": self.line,
            "column": self.column,
            "message": self.text(catalogue),
        }

    def __str__(self) -> str:
        return self.as_line()


def _order(finding: Finding) -> tuple:
    return finding.file, finding.line, finding.column, finding.code, finding.message


def lint_document(document: Document | None) -> list[Finding]:
    """The warnings of one parsed document (a procedure, or a reusable workflow), sorted.

    Any data is accepted, valid or not: what does not have the shape a rule expects is the
    checker's business and is skipped here."""
    if document is None:
        return []
    linter = Linter(document)
    linter.run()
    unique = {(f[0], f[1]): Finding(f[0], f[1]) for f in linter.found}
    return sorted(unique.values(), key=_order)


def lint_source(
    source: str | bytes, name: str = "<string>", *, max_nodes: int = MAX_NODES
) -> list[Finding]:
    """The warnings of a YAML text; none when it is not YAML or holds more than
    ``max_nodes`` values (the checker says why)."""
    document, _problems = load(source, name, max_nodes=max_nodes)
    return lint_document(document)


def lint_file(path: str | Path, display: str | None = None) -> list[Finding]:
    """The warnings of one file; none when it cannot be read or parsed."""
    document, _problems = load_file(path, display)
    return lint_document(document)


def lint_paths(paths: Iterable[str | Path], site_path: str | Path | None = None) -> list[Finding]:
    """The warnings of the procedure files and folders (with their ``workflows/``) that
    :func:`definitions.folders.check_paths` checks, the site config aside."""
    from ..folders import SITE_NAMES, procedure_files

    site = Path(site_path).resolve() if site_path is not None else None
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            continue
        if path.is_dir() and (path / "workflows").is_dir():
            files += sorted((path / "workflows").glob("*.y*ml"))
        if path.is_dir() and path.name == "workflows":
            files += sorted(path.glob("*.y*ml"))
            continue
        files += [f for f in procedure_files(path) if f.is_file()]
    found: list[Finding] = []
    seen: set[Path] = set()
    for file in files:
        resolved = file.resolve()
        if resolved in seen or resolved == site or file.name in SITE_NAMES:
            continue
        seen.add(resolved)
        found += lint_file(file)
    return found
