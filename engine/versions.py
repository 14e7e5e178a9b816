"""Comparing two versions of a procedure, and what the cases still running stand on.

:func:`source_diff` is the text, line by line; :func:`summary` the pages, fields, states and
transitions added, removed or changed; :func:`running_cases` how many open cases of each
version are in each state. The words people read are the console's: here only ids, kinds
and the names of what changed.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from definitions.model import Procedure

from .models import Case, ProcedureVersion

#: The lines of context around each change of the text.
CONTEXT = 3


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of the diff: ``sign`` is ``+`` (added), ``-`` (removed), `` `` (kept) or
    ``@`` (the start of a hunk, with no line numbers)."""

    sign: str
    old: int | None
    new: int | None
    text: str


def source_diff(old: str, new: str) -> list[DiffLine]:
    """The unified diff of two texts, with each line's numbers in the old and the new text."""
    lines: list[DiffLine] = []
    a, b = old.splitlines(), new.splitlines()
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        first, last = group[0], group[-1]
        lines.append(
            DiffLine(
                "@",
                None,
                None,
                f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@",
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine(" ", i + 1, j + 1, a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("-", i + 1, None, a[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("+", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


@dataclass(frozen=True, slots=True)
class Change:
    """A page, field, state or transition (``kind``) ``added``, ``removed`` or ``changed``
    (``what``: the names of its settings that differ)."""

    kind: str
    id: str
    change: str
    label: Any = None  # the element's label (a Text), in the newer version when it has one
    what: tuple[str, ...] = ()


def _settings(item: Any) -> dict[str, str]:
    """A dataclass's public settings, as comparable text; nested fields by their ids."""
    found = {}
    for spec in dataclasses.fields(item):
        if spec.name.startswith("_"):
            continue
        value = getattr(item, spec.name)
        if spec.name in ("fields", "form") and isinstance(value, tuple) and value:
            value = tuple(getattr(v, "id", v) for v in value) if spec.name == "fields" else value
        found[spec.name] = repr(value)
    return found


def _compare(kind: str, old: dict[str, Any], new: dict[str, Any], label: str) -> list[Change]:
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(Change(kind, key, "added", getattr(item, label, None)))
            continue
        before, after = _settings(old[key]), _settings(item)
        what = tuple(name for name in after if before.get(name) != after[name])
        if what:
            changes.append(Change(kind, key, "changed", getattr(item, label, None), what))
    changes += [
        Change(kind, key, "removed", getattr(item, label, None))
        for key, item in old.items()
        if key not in new
    ]
    return changes


def _all_fields(procedure: Procedure) -> dict[str, Any]:
    return {f.id: f for page in procedure.form.pages for f in page.fields}


def summary(old: Procedure, new: Procedure) -> list[Change]:
    """What differs between two versions: pages, then fields, states and transitions."""
    return [
        *_compare(
            "page", {p.id: p for p in old.form.pages}, {p.id: p for p in new.form.pages}, "title"
        ),
        *_compare("field", _all_fields(old), _all_fields(new), "label"),
        *_compare(
            "state",
            {s.id: s for s in old.workflow.states},
            {s.id: s for s in new.workflow.states},
            "label",
        ),
        *_compare(
            "transition",
            {t.id: t for t in old.workflow.transitions},
            {t.id: t for t in new.workflow.transitions},
            "label",
        ),
    ]


def running(slug: str):
    """The condition of a procedure's cases still running: filed and not closed."""
    return sa.and_(Case.procedure == slug, Case.submitted_at.is_not(None), Case.closed_at.is_(None))


@dataclass(frozen=True, slots=True)
class Running:
    version_id: int
    version: int
    state: str | None
    count: int


def running_cases(session: Session, slug: str) -> list[Running]:
    """How many running cases of each version of ``slug`` are in each state, by version
    then state."""
    rows = session.execute(
        sa.select(Case.version_id, ProcedureVersion.version, Case.state, sa.func.count())
        .join(ProcedureVersion, ProcedureVersion.id == Case.version_id)
        .where(running(slug))
        .group_by(Case.version_id, ProcedureVersion.version, Case.state)
        .order_by(ProcedureVersion.version, Case.state)
    )
    return [Running(*row) for row in rows]
