"""The case page in words: who acted (names and departments, never an id), what each entry of
the timeline says, the answers page by page, the actions and what they ask, the deadlines with
the days left, in the reader's language and the town hall's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from definitions import formats
from definitions.model import Field, Procedure
from engine.timeline import Entry

from ..answers import answer_digest, display
from ..formatting import days_left
from ..formatting import format_day as day
from ..formatting import format_moment as moment
from ..language import current_language, text
from ..services import services
from ..wording import department_name, prefill_source_word, staff_word, state_label

# -- values as people read them -------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A date to meet, and how far it is: ``level``: late, soon or later."""

    date: str
    left: str
    level: str


def due(moment_due: dt.datetime, now: dt.datetime) -> Due:
    calendar = services().runtime.calendar
    left, level = days_left(calendar.today(moment_due), calendar.today(now))
    return Due(day(moment_due), left, level)


def value_lines(item: Field, value: Any, names: dict[str, str]) -> list[str]:
    """One answer as lines: amounts, numbers and phone numbers as people write them, an
    address as on an envelope, anything else in the words of its field type."""
    if value is None or value == "" or value == []:
        return [_("Not answered")]
    language = current_language()
    unit = text(item.unit) if item.unit else ""
    if item.type in ("integer", "decimal") and not isinstance(value, bool):
        if unit.strip() == "€":
            return [formats.amount(value, language=language)]
        return [f"{formats.number(value, language)} {unit}".strip()]
    if item.type == "phone":
        return [formats.phone(value, item.region or "FR")]
    if item.type in ("siret", "iban") and isinstance(value, str):
        from stdnum import iban
        from stdnum.fr import siret

        try:  # grouped as on the papers: 812 345 676 00017, FR76 3000 3025 …
            return [(siret if item.type == "siret" else iban).format(value)]
        except ValueError:
            return [value]
    if item.type == "address" and isinstance(value, dict):
        return formats.address_lines(value, language) or [display(item, value)]
    return [display(item, value, names)]


# -- the answers, page by page --------------------------------------------------------------------


@dataclass
class Row:
    label: str
    lines: list[str]
    files: list = field(default_factory=list)  # the pieces given, as downloads
    items: list[tuple[str, list[Row]]] = field(default_factory=list)  # a group's, headed
    #: where a prefilled answer came from: the source in words, when, and whether the
    #: citizen changed it since
    origin: dict | None = None


def answer_rows(fields, answers: dict, files: dict) -> list[Row]:
    """The rows of ``fields`` that store a value; a group's items are headed by its
    ``item_label`` and their number ("Enfant 1", "Enfant 2")."""
    names = {key: piece.filename for key, piece in files.items()}
    rows = []
    for item in fields:
        if not item.stores_value:
            continue
        value = answers.get(item.id)
        row = Row(text(item.label) or item.id, [])
        if item.type == "file" and value:
            ids = value if isinstance(value, list) else [value]
            row.files = [files[i] for i in ids if i in files]
            row.lines = [] if row.files else value_lines(item, value, names)
        elif item.type == "group" and isinstance(value, list):
            heading = text(item.item_label) or _("Item")
            row.lines = [display(item, value)]
            row.items = [
                (
                    _("%(item)s %(num)d", item=heading, num=number),
                    answer_rows(item.fields, entry, files),
                )
                for number, entry in enumerate(value, start=1)
                if isinstance(entry, dict)
            ]
        else:
            row.lines = value_lines(item, value, names)
        rows.append(row)
    return rows


def answer_sections(
    procedure: Procedure, answers: dict, files: dict, prefilled: dict | None = None
) -> list:
    """(page title, rows) for each page that holds an answer; a prefilled answer's row
    says where it came from (``Case.prefilled``)."""
    sections = []
    for page in procedure.form.pages:
        rows = answer_rows(page.fields, answers, files)
        ids = [item.id for item in page.fields if item.stores_value]
        for item_id, row in zip(ids, rows, strict=False):
            mark = (prefilled or {}).get(item_id)
            if mark and item_id in answers:
                row.origin = {
                    "source": prefill_source_word(mark.get("source", "")),
                    "at": _moment(mark.get("at")),
                    "changed": mark.get("value") != answer_digest(answers[item_id]),
                }
        if rows:
            sections.append((text(page.title), rows))
    return sections


def _moment(value: Any) -> str:
    try:
        return moment(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return ""


# -- the actions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    step: Any
    label: str
    target: str
    asks: list[str]  # the labels of the fields its form asks
    waits_for_citizen: bool  # it asks the citizen for something (documents, details)


def action(procedure: Procedure, step) -> Action:
    workflow = procedure.workflow
    try:
        waits = workflow.state(step.target).owner == "citizen"
    except KeyError:
        waits = False
    return Action(
        step,
        text(step.label) or step.id,
        state_label(workflow, step.target),
        [text(f.label) or f.id for f in step.form if f.stores_value],
        waits,
    )


# -- the timeline ---------------------------------------------------------------------------------


def who(entry: Entry) -> str:
    """Who acted: "Marie Durand, État civil", the citizen's name, or "Guichet"."""
    if entry.by_staff:
        name = entry.actor_name or staff_word(entry.actor_kind)
        department = department_name(entry.department)
        return (
            _("%(name)s, %(department)s", name=name, department=department) if department else name
        )
    if entry.actor_kind == "citizen":
        return entry.actor_name or _("The citizen")
    return "Guichet"


@dataclass
class Line:
    """One entry of the timeline, in words."""

    kind: str
    anchor: str
    at: str
    who: str
    what: str
    body: str = ""
    values: list[tuple[str, list[str]]] = field(default_factory=list)
    unread: bool = False


def _values(fields, values: dict) -> list[tuple[str, list[str]]]:
    known = {f.id: f for f in fields}
    return [
        (text(known[key].label) or key, value_lines(known[key], value, {}))
        if key in known
        else (key, [str(value)])
        for key, value in (values or {}).items()
        if value not in (None, "", [])
    ]


def _event_words(entry: Entry, procedure: Procedure) -> tuple[str, list]:
    event = entry.event
    workflow = procedure.workflow
    if event.kind == "submitted":
        return _("Filed the request"), []
    if event.kind == "transition":
        try:
            step = workflow.transition(event.transition)
        except KeyError:
            step = None
        label = (text(step.label) if step else "") or state_label(workflow, event.to_state)
        what = _(
            "%(action)s (now: %(state)s)",
            action=label,
            state=state_label(workflow, event.to_state),
        )
        return what, _values(step.form if step else (), event.values)
    if event.kind == "set":
        return _("Changed answers"), _values(procedure.fields, event.values)
    if event.kind == "assigned":
        if entry.assignee_name is None or not event.values.get("assignee"):
            return _("Removed the assignment"), []
        return _("Assigned the request to %(name)s", name=entry.assignee_name or "?"), []
    return staff_word(event.kind), []


def timeline_lines(entries: list[Entry], procedure: Procedure) -> list[Line]:
    lines = []
    for entry in entries:
        values: list = []
        if entry.kind == "event":
            what, values = _event_words(entry, procedure)
        elif entry.kind == "message":
            what = _("Message to the citizen") if entry.by_staff else _("Message from the citizen")
        elif entry.kind == "note":
            what = _("Internal note")
        else:
            what = _("Reminder from the citizen")
        lines.append(
            Line(
                entry.kind,
                f"{entry.kind}-{entry.id}",
                moment(entry.at),
                who(entry),
                what,
                entry.body,
                values,
                entry.unread,
            )
        )
    return lines
