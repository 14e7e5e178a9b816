"""What the inbox shows of a case, in words: who filed it, its state, its legal deadline
with the days left, and the grouped actions an agent may take from the inbox."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from flask_babel import ngettext

from definitions import formats
from engine.inbox import Row, first_answer, requester_fields
from engine.workflow import CompiledProcedure

from ..formatting import days_left
from ..language import current_language, text
from ..wording import state_label


@dataclass(frozen=True)
class Line:
    """One row of the inbox's table, ready to read."""

    row: Row
    procedure: str
    state: str
    organisation: str
    person: str
    deadline_date: str
    deadline_text: str
    deadline_class: str
    last_activity: str

    @property
    def case(self):
        return self.row.case


def requester(row: Row, procedure) -> tuple[str, str]:
    """(the organisation's name, the person): an account's name or address, else the
    e-mail the filer typed in the answers."""
    organisations, emails = requester_fields(procedure)
    organisation = first_answer(row.case.answers, organisations)
    person = row.owner_name or row.owner_email or first_answer(row.case.answers, emails)
    return organisation, person


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date, language: str) -> str:
    return formats.date(day, language)


def deadline(case, today: dt.date, calendar) -> tuple[str, str, str]:
    """(the date, the days left in words, the class that colours them)."""
    language = current_language()
    if case.closed_at is not None:
        return "", "", ""
    if case.clock_paused_at is not None:
        left = case.clock_remaining_days or 0
        words = ngettext(
            "paused, %(num)d day left", "paused, %(num)d days left", left
        )
        return "", words, "deadline-paused"
    if case.clock_expires_at is None:
        return "", "", ""
    local = calendar.today(case.clock_expires_at)
    words, level = days_left(local, today)
    return _day(local, language), words, f"deadline-{level}"


def describe(row: Row, compiled: CompiledProcedure, today: dt.date) -> Line:
    from ..services import services

    procedure = compiled.procedure
    calendar = services().runtime.calendar
    organisation, person = requester(row, procedure)
    day, words, colour = deadline(row.case, today, calendar)
    activity = row.case.last_activity_at or row.case.submitted_at
    return Line(
        row=row,
        procedure=text(procedure.title),
        state=state_label(procedure.workflow, row.case.state),
        organisation=organisation,
        person=person,
        deadline_date=day,
        deadline_text=words,
        deadline_class=colour,
        last_activity=_day(calendar.today(activity), current_language()) if activity else "",
    )


def bulk_transitions(procedures, user) -> list[tuple[str, str]]:
    """The transitions an agent may fire on several cases at once: theirs to fire (agents,
    supervisors, their departments) and without a form; one entry per id, its label
    naming the procedures that have it."""
    found: dict[str, tuple[str, list[str]]] = {}
    for _row, procedure in procedures:
        for transition in procedure.workflow.transitions:
            mine = (
                transition.actor == "agent"
                or (transition.actor == "supervisor" and user.kind == "supervisor")
                or (
                    transition.actor == "department"
                    and transition.actor_department in user.departments
                )
            )
            if not mine or transition.form:
                continue
            label = text(transition.label) if transition.label else transition.id
            entry = found.setdefault(transition.id, (label, []))
            entry[1].append(text(procedure.title))
    return [
        (identifier, f"{label} ({', '.join(sorted(set(titles)))})")
        for identifier, (label, titles) in sorted(found.items(), key=lambda i: i[1][0])
    ]
