"""Migration plans: moving a procedure's running cases from one version to a newer one.

A plan is a small YAML mapping (docs/administrators-guide.md, "Migrer les dossiers en
cours")::

    from: 1                  # the version whose running cases move
    to: 2                    # the newer version they move to
    states:                  # every state holding running cases -> a state of `to`
      recue: recue
      en_traitement: instruction
    fields:                  # renamed fields: old id -> new id
      nom: nom_naissance
    defaults:                # answers for the new required fields cases lack
      consentement: true

:func:`dry_run` says what each running case of ``from`` would become, and refuses what
would break: a state with no mapping, answers the new version refuses (they are validated
against its schema, as a submission is). :func:`apply` does it in the caller's transaction,
all cases or none, with a history line and an audit line on each case. Cases of versions
without a plan stay where they are.

Problems and refusals carry a ``code`` and its values; the console words them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from definitions.answers import validate_answers
from definitions.loader import load
from definitions.model import Procedure

from . import audit, timers
from .cases import optimistic
from .catalogue import Runtime
from .clock import Clock
from .errors import Conflict, Refused
from .inbox import index_requester
from .models import Case, ProcedureVersion
from .steps import add_event, case_view, department_of
from .versions import running
from .workflow import Actor

KEYS = ("from", "to", "states", "fields", "defaults")
#: The most values a plan may hold.
MAX_VALUES = 5_000


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """What is wrong with a plan: ``code`` with its ``values``, at ``line``:``column``."""

    code: str
    values: dict[str, Any]
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Plan:
    source: str
    old: ProcedureVersion
    new: ProcedureVersion
    states: dict[str, str]
    fields: dict[str, str]
    defaults: dict[str, Any]


def _mapping(document, data: dict, key: str, problems: list[PlanProblem]) -> dict:
    value = data.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict) or (
        key != "defaults" and not all(isinstance(v, str) for v in value.values())
    ):
        problems.append(PlanProblem("not_mapping", {"key": key}, *document.where((key,))))
        return {}
    return {str(k): v for k, v in value.items()}


def read_plan(
    session: Session, runtime: Runtime, slug: str, source: str
) -> tuple[Plan | None, list[PlanProblem]]:
    """Check a plan against the two versions it names. Returns ``(plan or None, problems)``."""
    document, loaded = load(source, "plan.yaml", max_nodes=MAX_VALUES)
    if document is None or loaded:
        return None, [
            PlanProblem("yaml", {"detail": p.message}, p.line, p.column) for p in loaded
        ] or [PlanProblem("yaml", {"detail": ""})]
    data = document.data
    if not isinstance(data, dict):
        return None, [PlanProblem("not_plan", {})]
    problems = [
        PlanProblem("unknown_key", {"key": str(key)}, *document.where((key,), key=True))
        for key in data
        if key not in KEYS
    ]
    rows = {}
    for key in ("from", "to"):
        number = data.get(key)
        row = None
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 2**31:
            row = session.scalars(
                sa.select(ProcedureVersion).where(
                    ProcedureVersion.slug == slug, ProcedureVersion.version == number
                )
            ).first()
        if row is None:
            problems.append(
                PlanProblem(
                    "no_version", {"key": key, "version": str(number)}, *document.where((key,))
                )
            )
        rows[key] = row
    states = _mapping(document, data, "states", problems)
    fields = _mapping(document, data, "fields", problems)
    defaults = _mapping(document, data, "defaults", problems)
    if problems:
        return None, problems
    old, new = rows["from"], rows["to"]
    if new.version <= old.version:
        return None, [PlanProblem("not_newer", {}, *document.where(("to",)))]
    before = runtime.catalogue.compiled(session, old.id).procedure
    after = runtime.catalogue.compiled(session, new.id).procedure
    old_states = {s.id for s in before.workflow.states}
    new_states = {s.id for s in after.workflow.states}
    for key, target in states.items():
        if key not in old_states:
            problems.append(
                PlanProblem(
                    "old_state",
                    {"state": key, "version": old.version},
                    *document.where(("states", key), key=True),
                )
            )
        if target not in new_states:
            problems.append(
                PlanProblem(
                    "new_state",
                    {"state": target, "version": new.version},
                    *document.where(("states", key)),
                )
            )
    for key, target in fields.items():
        if key not in before.fields:
            problems.append(
                PlanProblem(
                    "old_field",
                    {"field": key, "version": old.version},
                    *document.where(("fields", key), key=True),
                )
            )
        if target not in after.fields:
            problems.append(
                PlanProblem(
                    "new_field",
                    {"field": target, "version": new.version},
                    *document.where(("fields", key)),
                )
            )
    for key, value in defaults.items():
        if not _finite(value):
            problems.append(
                PlanProblem("not_finite", {"field": key}, *document.where(("defaults", key)))
            )
        if key not in after.fields:
            problems.append(
                PlanProblem(
                    "new_field",
                    {"field": key, "version": new.version},
                    *document.where(("defaults", key), key=True),
                )
            )
    if problems:
        return None, problems
    return Plan(source, old, new, states, fields, defaults), []


def _finite(value: Any) -> bool:
    """No infinity nor NaN anywhere in a default: JSON columns cannot hold them."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@dataclass
class Outcome:
    """What one running case would become."""

    case: Case
    new_state: str | None
    answers: dict[str, Any] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    defaulted: list[str] = field(default_factory=list)
    #: answers the new version does not keep (no such field, or hidden): id -> value
    dropped: dict[str, Any] = field(default_factory=dict)
    refusals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class DryRun:
    plan: Plan
    outcomes: list[Outcome]
    #: What the plan was checked against: the plan, both versions, the newest version and
    #: every case it moves; applying a plan whose digest changed is refused.
    digest: str

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.refusals]


def _outcome(plan: Plan, after: Procedure, case: Case, runtime: Runtime, today) -> Outcome:
    outcome = Outcome(case, plan.states.get(case.state or ""))
    if outcome.new_state is None:
        outcome.refusals.append(("unmapped_state", {"state": case.state}))
    answers = {}
    for key, value in case.answers.items():
        target = plan.fields.get(key, key)
        if target != key:
            outcome.renamed[key] = target
        if target in after.fields:
            answers[target] = value
        else:
            outcome.dropped[key] = value
    for key, value in plan.defaults.items():
        if answers.get(key) in (None, "", []):
            answers[key] = value
            outcome.defaulted.append(key)
    kept, errors = validate_answers(after, answers, today=today, case=case_view(case))
    for error in errors:
        outcome.refusals.append(
            (
                "refused_answer",
                {"field": error.field, "value": answers.get(error.field), "detail": error.message},
            )
        )
    outcome.answers = kept
    outcome.dropped |= {k: v for k, v in answers.items() if k not in kept}
    return outcome


def dry_run(session: Session, runtime: Runtime, plan: Plan, clock: Clock) -> DryRun:
    """What each running case of ``plan.old`` would become; nothing is written."""
    after = runtime.catalogue.compiled(session, plan.new.id).procedure
    today = runtime.calendar.today(clock.now())
    cases = list(
        session.scalars(
            sa.select(Case)
            .where(running(plan.old.slug), Case.version_id == plan.old.id)
            .order_by(Case.id)
        )
    )
    newest = session.scalar(
        sa.select(sa.func.max(ProcedureVersion.id)).where(ProcedureVersion.slug == plan.old.slug)
    )
    digest = hashlib.sha256(
        json.dumps(
            [
                plan.source,
                plan.old.source_hash,
                plan.new.source_hash,
                newest,
                [(c.id, c.lock_version) for c in cases],
            ]
        ).encode()
    ).hexdigest()
    return DryRun(plan, [_outcome(plan, after, c, runtime, today) for c in cases], digest)


def apply(
    session: Session, runtime: Runtime, plan: Plan, digest: str, actor: Actor, clock: Clock
) -> DryRun:
    """Move every running case of ``plan.old`` as the dry run said, or none: a plan whose
    dry run changed since ``digest`` is a :class:`Conflict`, a refused case a
    :class:`Refused`. Flushes; the caller commits."""
    run = dry_run(session, runtime, plan, clock)
    if run.digest != digest:
        raise Conflict("the versions or the cases changed since the dry run: run it again")
    if run.refused:
        raise Refused("state", "some cases cannot move: the dry run lists them")
    compiled = runtime.catalogue.compiled(session, plan.new.id)
    old_workflow = runtime.catalogue.compiled(session, plan.old.id).procedure.workflow
    now = clock.now()
    for outcome in run.outcomes:
        case = outcome.case
        previous = case.state
        detail = {
            "from_version": plan.old.version,
            "to_version": plan.new.version,
            "renamed": outcome.renamed,
            "defaults": outcome.defaulted,
            "dropped": outcome.dropped,
        }
        add_event(
            session,
            case,
            actor,
            now,
            "migrated",
            from_state=previous,
            to_state=outcome.new_state,
            values=detail,
        )
        audit.record(session, actor.account_id, "case.migrate", now, case=case, detail=detail)
        case.version_id = plan.new.id
        case.answers = outcome.answers
        index_requester(case, compiled.procedure)
        state = compiled.procedure.workflow.state(outcome.new_state)
        case.state = state.id
        case.department = department_of(compiled, state, case) or case.department
        case.closed_at = now if state.final else None
        before = old_workflow.state(previous) if previous else None
        if previous != state.id or repr(before.deadlines) != repr(state.deadlines):
            # the deadlines of the new state, from now (those of the old one name old ids)
            case.state_entered_at = now
            timers.leave_state(session, case)
            timers.enter_state(session, runtime, compiled, case, state, previous, now)
    with optimistic():
        session.flush()
    return run
