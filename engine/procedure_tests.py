"""Running procedure tests (``NAME.tests.yaml``) with simulated time and recorded connectors.

Each scenario runs in a fresh in-memory database: the answers are submitted by a citizen,
the steps fire transitions or let time pass (due timers fire in order, at their time), and
the expectations are compared with the case's state, department, the connectors it was
sent to and who was notified.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from definitions.folders import check_paths
from definitions.model import Field, Procedure
from definitions.scenarios import Expectation, Scenario, Step, TestSuite, resolve_dates
from definitions.site import Site
from definitions.workflow_library import WorkflowLibrary

from . import cases
from .catalogue import Runtime, publish
from .clock import FrozenClock
from .db import Base, make_engine, make_session_factory
from .errors import EngineError, InvalidValues, Refused
from .models import Account, Attachment, Case, Notification, OutboxMessage, Timer
from .outbox import Delivery
from .workflow import Actor

MAX_TIMER_ROUNDS = 10_000


def N_(msgid: str) -> str:
    """Marks a msgid of the engine's catalogue, translated where it is read."""
    return msgid


@dataclass(frozen=True)
class Said:
    """A msgid with its values: English by default, or in a catalogue's language."""

    msgid: str
    values: dict[str, Any]

    def text(self, catalogue=None) -> str:
        msgid = catalogue.gettext(self.msgid) if catalogue is not None else self.msgid
        return msgid % self.values


class ScenarioFailed(Exception):
    """Why a scenario failed: ``parts`` (joined by semicolons), ``when`` it was seen."""

    def __init__(self, *parts: Said, when: Said | None = None):
        self.parts, self.when = parts, when
        super().__init__(self.text())

    def text(self, catalogue=None) -> str:
        body = "; ".join(part.text(catalogue) for part in self.parts)
        if self.when is None:
            return body
        joined = Said(
            N_("%(when)s: %(problems)s"), {"when": self.when.text(catalogue), "problems": body}
        )
        return joined.text(catalogue)


@dataclass
class ScenarioResult:
    procedure: str
    name: str
    passed: bool
    message: str = ""
    failure: ScenarioFailed | None = dataclasses.field(default=None, compare=False)

    def text(self, catalogue=None) -> str:
        """Why it failed, in the language of ``catalogue`` (engine.texts.translations)."""
        return self.failure.text(catalogue) if self.failure is not None else self.message

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        tail = f" — {self.message}" if self.message else ""
        return f"{status} {self.procedure}: {self.name}{tail}"


class ScenarioRun:
    """One scenario, in its own in-memory database."""

    def __init__(
        self,
        procedure: Procedure,
        source: str,
        workflows: dict[str, str],
        site: Site | None,
        start: dt.datetime,
    ):
        self.engine = make_engine("sqlite://")
        Base.metadata.create_all(self.engine)
        self.sessions = make_session_factory(self.engine)
        self.session = self.sessions()
        self.runtime = Runtime(site=site)
        self.clock = FrozenClock(start)
        self.procedure = procedure
        self.version = publish(
            self.session, self.runtime, source, workflows=workflows, clock=self.clock
        )
        self.deliveries: list[Delivery] = []
        self.citizen: Account | None = None
        if procedure.login != "none":
            self.citizen = Account(email="citizen@example.org", name="Citizen", kind="citizen")
            self.session.add(self.citizen)
        self.session.commit()
        self.case: Case | None = None

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()

    @property
    def today(self) -> dt.date:
        return self.runtime.calendar.today(self.clock.now())

    # -- what the scenario does --------------------------------------------------------------

    def play(self, scenario: Scenario) -> None:
        answers = self.attach(
            self.procedure.form.fields, resolve_dates(dict(scenario.answers), self.today)
        )
        actor = Actor("citizen", self.citizen.id if self.citizen else None)
        try:
            self.case = cases.submit_answers(
                self.session,
                self.runtime,
                self.version,
                answers,
                actor,
                self.clock,
                owner_id=actor.account_id,
            )
            self.session.commit()
        except InvalidValues as invalid:
            self.session.rollback()
            found = sorted({e.field for e in invalid.errors})
            if scenario.expect_errors:
                if set(found) != set(scenario.expect_errors):
                    raise ScenarioFailed(
                        Said(
                            N_("expected errors on %(expected)s, got %(found)s"),
                            {"expected": sorted(scenario.expect_errors), "found": found},
                        )
                    ) from invalid
                return
            raise ScenarioFailed(
                Said(N_("the answers were refused: %(detail)s"), {"detail": invalid})
            ) from invalid
        if scenario.expect_errors:
            raise ScenarioFailed(
                Said(
                    N_("expected errors on %(expected)s, but the answers were accepted"),
                    {"expected": list(scenario.expect_errors)},
                )
            )
        self.settle()
        for number, step in enumerate(scenario.steps, 1):
            self.step(number, step)
        if scenario.expect:
            self.check(scenario.expect, Said(N_("at the end"), {}))

    def step(self, number: int, step: Step) -> None:
        if step.wait is not None:
            self.wait(step.wait.amount, step.wait.unit)
        else:
            self.fire(number, step)
        if step.expect:
            self.check(step.expect, Said(N_("after step %(number)s"), {"number": number}))

    def fire(self, number: int, step: Step) -> None:
        case = self.session.get(Case, self.case.id)
        transition = self.procedure.workflow.transition(step.fire)
        values = self.attach(transition.form, resolve_dates(dict(step.values), self.today))
        try:
            cases.fire(
                self.session,
                self.runtime,
                case,
                step.fire,
                self.actor(step, case),
                self.clock,
                values=values,
            )
            self.session.commit()
        except Refused as refusal:
            self.session.rollback()
            if step.expect_refused:
                return
            raise ScenarioFailed(
                Said(
                    N_("step %(number)s: %(transition)s was refused (%(reason)s): %(detail)s"),
                    {
                        "number": number,
                        "transition": repr(step.fire),
                        "reason": refusal.reason,
                        "detail": refusal,
                    },
                )
            ) from refusal
        except EngineError as error:
            self.session.rollback()
            raise ScenarioFailed(
                Said(N_("step %(number)s: %(detail)s"), {"number": number, "detail": error})
            ) from error
        if step.expect_refused:
            raise ScenarioFailed(
                Said(
                    N_("step %(number)s: %(transition)s should have been refused"),
                    {"number": number, "transition": repr(step.fire)},
                )
            )
        self.settle()

    def actor(self, step: Step, case: Case) -> Actor:
        if step.actor == "citizen":
            return Actor("citizen", case.owner_id, tracking_token=case.tracking_token)
        if step.actor == "department":
            return Actor("agent", departments=frozenset({step.actor_department}))
        return Actor(step.actor or "agent", departments=frozenset({case.department}))

    def wait(self, amount: int, unit: str) -> None:
        now = self.clock.now()
        calendar = self.runtime.calendar
        if unit == "month":
            target = calendar.add(now, months=amount)
        elif unit == "year":
            target = calendar.add(now, months=12 * amount)
        elif unit == "working day":
            target = calendar.add(now, days=amount, working_days=True)
        else:
            seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}[unit]
            target = now + dt.timedelta(seconds=seconds * amount)
        for _ in range(MAX_TIMER_ROUNDS):
            due = self.session.scalar(
                sa.select(sa.func.min(Timer.due_at)).where(
                    Timer.status == "pending", Timer.due_at <= target
                )
            )
            self.session.commit()
            if due is None:
                break
            self.clock.set(max(due, self.clock.now()))
            self.settle()
        else:
            raise ScenarioFailed(Said(N_("timers keep firing: does a deadline loop?"), {}))
        self.clock.set(target)
        self.settle()

    def settle(self) -> None:
        """Let the worker fire what is due and deliver the outbox, at the current time."""
        from .worker import Worker

        self.session.commit()  # one connection in memory: end our transaction first
        self.session.expire_all()
        worker = Worker(self.runtime, self.sessions, self.deliveries.append, clock=self.clock)
        for _ in range(MAX_TIMER_ROUNDS):
            if not worker.run_once():
                break
        self.session.expire_all()

    def attach(self, fields: tuple[Field, ...], values: dict[str, Any]) -> dict[str, Any]:
        """File fields take file names in tests: each becomes a small attachment."""
        result = dict(values)
        for field in fields:
            value = result.get(field.id)
            if field.type == "file" and value is not None:
                names = value if isinstance(value, list) else [value]
                ids = [self.attachment(field, str(name)) for name in names]
                result[field.id] = ids if field.multiple else ids[0]
            elif field.type == "group" and isinstance(value, list):
                result[field.id] = [
                    self.attach(field.fields, dict(item)) if isinstance(item, dict) else item
                    for item in value
                ]
        return result

    def attachment(self, field: Field, name: str) -> str:
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = Attachment(
            id=str(uuid.uuid4()),
            field=field.id,
            filename=name,
            content_type=content_type,
            size=1024,
            sha256="0" * 64,
            created_at=self.clock.now(),
        )
        self.session.add(attachment)
        self.session.flush()
        return attachment.id

    # -- what it checks ----------------------------------------------------------------------

    def check(self, expect: Expectation, when: Said) -> None:
        case = self.session.get(Case, self.case.id)
        problems = []
        if expect.state is not None and case.state != expect.state:
            problems.append(
                Said(
                    N_("state is %(found)s, expected %(expected)s"),
                    {"found": repr(case.state), "expected": repr(expect.state)},
                )
            )
        if expect.department is not None and case.department != expect.department:
            problems.append(
                Said(
                    N_("department is %(found)s, expected %(expected)s"),
                    {"found": repr(case.department), "expected": repr(expect.department)},
                )
            )
        if expect.sent is not None:
            sent = set(
                self.session.scalars(
                    sa.select(OutboxMessage.connector).where(
                        OutboxMessage.case_id == case.id, OutboxMessage.kind == "send"
                    )
                )
            )
            problems += _compare(SENT, sent, expect.sent)
        if expect.notified is not None:
            notified = set(
                self.session.scalars(
                    sa.select(Notification.audience).where(Notification.case_id == case.id)
                )
            )
            problems += _compare(NOTIFIED, notified, expect.notified)
        if problems:
            raise ScenarioFailed(*problems, when=when)


#: What was sent or notified, when nothing was expected, and when some names are missing.
SENT = (
    N_("sent to %(found)s, expected nothing"),
    N_("sent to %(found)s, expected %(expected)s (missing %(missing)s)"),
)
NOTIFIED = (
    N_("notified %(found)s, expected nothing"),
    N_("notified %(found)s, expected %(expected)s (missing %(missing)s)"),
)


def _compare(what: tuple[str, str], found: set[str], expected) -> list[Said]:
    """Each name listed must have happened; an empty list means that nothing did."""
    if not expected:
        return [Said(what[0], {"found": sorted(found)})] if found else []
    missing = set(expected) - found
    if missing:
        values = {
            "found": sorted(found),
            "expected": sorted(expected),
            "missing": ", ".join(sorted(missing)),
        }
        return [Said(what[1], values)]
    return []


def start_time(calendar_zone: str = "Europe/Paris") -> dt.datetime:
    """Scenarios start today at 9:00 in the authority's time zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(calendar_zone)
    today = dt.datetime.now(zone).date()
    return dt.datetime.combine(today, dt.time(9, 0), zone).astimezone(dt.UTC)


def run_suite(
    procedure: Procedure,
    suite: TestSuite,
    source: str,
    workflows: dict[str, str],
    site: Site | None,
    start: dt.datetime | None = None,
) -> list[ScenarioResult]:
    start = start or start_time(site.timezone if site else "Europe/Paris")
    results = []
    for scenario in suite.scenarios:
        run = ScenarioRun(procedure, source, workflows, site, start)
        try:
            run.play(scenario)
            results.append(ScenarioResult(procedure.slug, scenario.name, True))
        except ScenarioFailed as failure:
            results.append(
                ScenarioResult(procedure.slug, scenario.name, False, str(failure), failure)
            )
        except Exception as error:  # noqa: BLE001 - report, and go on with the others
            results.append(
                ScenarioResult(
                    procedure.slug, scenario.name, False, f"error: {type(error).__name__}: {error}"
                )
            )
        finally:
            run.close()
    return results


def run_paths(paths, site_path=None, *, environ=None, start: dt.datetime | None = None):
    """Check then run the tests of procedure files and folders.

    Returns ``(problems, results)``: when there are problems nothing runs.
    """
    checked = check_paths(paths, site_path, environ=environ)
    if checked.problems:
        return checked.problems, []
    results: list[ScenarioResult] = []
    for procedure in checked.procedures:
        suite = checked.suites.get((procedure.slug, procedure.version))
        if suite is None:
            continue
        path = Path(procedure.source_file)
        library = WorkflowLibrary(path.parent / "workflows", checked.site)
        workflows = library.all_sources()
        results += run_suite(
            procedure, suite, path.read_text("utf-8"), workflows, checked.site, start
        )
    return [], results
