"""Procedure tests (``NAME.tests.yaml``): scenarios checked against their procedure.

Running them is the engine's work (``guichet test``); here every name they use is checked
against the procedure, so that a scenario cannot silently test nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .fieldtypes import resolve_date_bound
from .loader import Document
from .model import Procedure, empty_mapping
from .reader import Reader
from .schemas import structural_problems, suggestion
from .texts import N_, Phrase

_RELATIVE_DATE = re.compile(r"^today(?:[+-]\d+[dwmy])?$")


def resolve_dates(value: Any, today: dt.date) -> Any:
    """Test answers with ``today``, ``today+3d``, ``today-8y`` turned into ISO dates."""
    if isinstance(value, str) and _RELATIVE_DATE.match(value):
        return resolve_date_bound(value, today).isoformat()
    if isinstance(value, Mapping):
        return {k: resolve_dates(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, today) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # minute, hour, day, working day, week, month, year

    @classmethod
    def parse(cls, text: str) -> Duration:
        number, unit = text.split(" ", 1)
        return cls(int(number), unit.removesuffix("s"))


@dataclass(frozen=True, slots=True)
class Expectation:
    state: str | None = None
    department: str | None = None
    sent: tuple[str, ...] | None = None
    notified: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Step:
    fire: str | None = None
    actor: str | None = None
    actor_department: str | None = None
    values: Mapping[str, Any] = field(default_factory=empty_mapping)
    expect_refused: bool = False
    wait: Duration | None = None
    expect: Expectation | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    answers: Mapping[str, Any]
    expect_errors: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    expect: Expectation | None = None


@dataclass(frozen=True, slots=True)
class TestSuite:
    procedure: str
    scenarios: tuple[Scenario, ...]
    source_file: str = ""

    __test__ = False  # not a pytest class


class ScenarioReader(Reader):
    def __init__(self, document: Document, procedure: Procedure, site=None):
        super().__init__(document, site)
        self.procedure = procedure
        self.sent = {
            a.target for s in procedure.workflow.states for a in s.on_enter if a.kind == "send"
        } | {
            a.target for t in procedure.workflow.transitions for a in t.on_fire if a.kind == "send"
        }

    def read(self) -> TestSuite | None:
        data = self.document.data
        if not isinstance(data, dict):
            self.error((), N_("a tests file is a mapping with 'answers' and 'scenarios'"))
            return None
        self.problems += structural_problems(self.document, "tests")
        if self.problems:
            return None
        shared = data.get("answers", {})
        self.check_answers(("answers",), shared)
        scenarios = []
        for index, item in enumerate(data["scenarios"]):
            scenarios.append(self.scenario(("scenarios", index), item, shared))
        if self.problems:
            return None
        return TestSuite(self.procedure.slug, tuple(scenarios), self.document.file)

    def check_answers(self, path, answers: dict) -> None:
        fields = self.procedure.fields
        for key, value in answers.items():
            field = fields.get(key)
            if field is None:
                self.error(
                    (*path, key),
                    N_("%(name)s is not a field of %(procedure)s%(hint)s"),
                    key=True,
                    name=repr(key),
                    procedure=repr(self.procedure.slug),
                    hint=suggestion(key, fields),
                )
            elif field.type == "group" and isinstance(value, list):
                subs = {f.id for f in field.fields}
                for position, item in enumerate(value):
                    for sub in item if isinstance(item, dict) else ():
                        if sub not in subs:
                            self.error(
                                (*path, key, position, sub),
                                N_("%(name)s is not a field of the group %(group)s%(hint)s"),
                                key=True,
                                name=repr(sub),
                                group=repr(key),
                                hint=suggestion(sub, subs),
                            )

    def scenario(self, path, item: dict, shared: dict) -> Scenario:
        answers = {**shared, **item.get("answers", {})}
        self.check_answers((*path, "answers"), item.get("answers", {}))
        for position, name in enumerate(item.get("expect_errors", ())):
            if name not in self.procedure.fields:
                self.error(
                    (*path, "expect_errors", position),
                    N_("%(name)s is not a field of %(procedure)s%(hint)s"),
                    name=repr(name),
                    procedure=repr(self.procedure.slug),
                    hint=suggestion(name, self.procedure.fields),
                )
        if "expect_errors" in item and ("steps" in item or "expect" in item):
            self.error(
                (*path, "expect_errors"),
                N_(
                    "a scenario that expects errors stops at the submission: it cannot have "
                    "steps or expect a state"
                ),
            )
        steps = tuple(
            self.step((*path, "steps", i), s) for i, s in enumerate(item.get("steps", ()))
        )
        return Scenario(
            name=item["name"],
            answers=MappingProxyType(answers),
            expect_errors=tuple(item.get("expect_errors", ())),
            steps=steps,
            expect=self.expectation((*path, "expect"), item.get("expect")),
        )

    def step(self, path, item: dict) -> Step:
        workflow = self.procedure.workflow
        if ("fire" in item) == ("wait" in item):
            self.error(
                path, N_("a step either fires a transition ('fire') or lets time pass ('wait')")
            )
            return Step()
        if "wait" in item:
            for key in ("as", "with", "expect_refused"):
                if key in item:
                    self.error(
                        (*path, key),
                        N_("%(name)s goes with 'fire', not with 'wait'"),
                        key=True,
                        name=repr(key),
                    )
            return Step(
                wait=Duration.parse(item["wait"]),
                expect=self.expectation((*path, "expect"), item.get("expect")),
            )
        tid = item["fire"]
        transitions = {t.id: t for t in workflow.transitions}
        transition = transitions.get(tid)
        if transition is None:
            self.error(
                (*path, "fire"),
                N_("%(name)s is not a transition of %(procedure)s%(hint)s"),
                name=repr(tid),
                procedure=repr(self.procedure.slug),
                hint=suggestion(tid, transitions),
            )
            return Step()
        actor = item.get("as")
        actor_department = None
        if isinstance(actor, dict):
            actor_department = actor["department"]
            actor = "department"
            self.check_department((*path, "as", "department"), actor_department)
        elif actor is None:
            if transition.actor == "timer" and not item.get("expect_refused"):
                self.error(
                    (*path, "fire"),
                    N_("%(name)s is fired by a timer: let time pass with 'wait' instead"),
                    name=repr(tid),
                )
            actor = transition.actor if transition.actor != "timer" else "agent"
            actor_department = transition.actor_department
        form = {f.id for f in transition.form}
        for key in item.get("with", {}):
            if key not in form:
                hint = (
                    suggestion(key, form) if form else Phrase(N_("; this transition has no form"))
                )
                self.error(
                    (*path, "with", key),
                    N_("%(name)s is not a field of the form of %(transition)s%(hint)s"),
                    key=True,
                    name=repr(key),
                    transition=repr(tid),
                    hint=hint,
                )
        return Step(
            fire=tid,
            actor=actor,
            actor_department=actor_department,
            values=MappingProxyType(dict(item.get("with", {}))),
            expect_refused=bool(item.get("expect_refused")),
            expect=self.expectation((*path, "expect"), item.get("expect")),
        )

    def expectation(self, path, item: dict | None) -> Expectation | None:
        if item is None:
            return None
        states = {s.id for s in self.procedure.workflow.states}
        if "state" in item and item["state"] not in states:
            self.error(
                (*path, "state"),
                N_("%(name)s is not a state of %(procedure)s%(hint)s"),
                name=repr(item["state"]),
                procedure=repr(self.procedure.slug),
                hint=suggestion(item["state"], states),
            )
        if "department" in item:
            self.check_department((*path, "department"), item["department"])
        for position, name in enumerate(item.get("sent", ())):
            if name not in self.sent:
                self.error(
                    (*path, "sent", position),
                    N_("%(procedure)s never sends to %(name)s%(hint)s"),
                    procedure=repr(self.procedure.slug),
                    name=repr(name),
                    hint=suggestion(name, self.sent),
                )
        return Expectation(
            state=item.get("state"),
            department=item.get("department"),
            sent=tuple(item["sent"]) if "sent" in item else None,
            notified=tuple(item["notified"]) if "notified" in item else None,
        )


def read_tests(document: Document, procedure: Procedure, site=None):
    """Check a loaded tests file. Returns ``(suite or None, problems)``."""
    reader = ScenarioReader(document, procedure, site)
    return reader.read(), reader.problems
