"""What a case does as it moves: the names its expressions and texts see, the events of
its history, entering a state and running the actions of a state or a transition (its
notifications, deliveries and computed values).

The operations of engine/cases.py (submitting, firing, assigning) go through these; so do
migration plans, which move a case without a transition.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from definitions.answers import expression_context
from definitions.model import Action, RoutingRule

from . import timers
from .catalogue import Runtime
from .documents import write_document
from .inbox import index_requester
from .models import Case, CaseEvent
from .notifications import notify_action, safely_rendered, send
from .workflow import Actor, CompiledProcedure


def case_view(case: Case) -> SimpleNamespace:
    """What expressions read of ``case``."""
    return SimpleNamespace(
        reference=case.reference,
        state=case.state,
        procedure=case.procedure,
        department=case.department,
        created_at=case.created_at,
        submitted_at=case.submitted_at,
    )


def context(
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    now: dt.datetime,
    transition_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The names expressions and texts see for a case at ``now``."""
    extra = (
        {"transition": SimpleNamespace(**transition_values)}
        if transition_values is not None
        else {}
    )
    return expression_context(
        compiled.procedure.fields,
        case.answers,
        today=runtime.calendar.today(now),
        now=now,
        case=case_view(case),
        **extra,
    )


def add_event(
    session: Session, case: Case, actor: Actor, now: dt.datetime, kind: str, **fields: Any
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=now,
        kind=kind,
        actor_kind=actor.kind,
        actor_id=actor.account_id,
        # the department the actor acts for: the case's when theirs (a member of several)
        actor_department=(
            case.department
            if case.department in actor.departments
            else next(iter(sorted(actor.departments)), None)
        ),
        **fields,
    )
    session.add(event)
    case.last_activity_at = now
    return event


def enter_state(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    state_id: str,
    actor: Actor,
    now: dt.datetime,
    *,
    held: list[str] | None = None,
) -> None:
    """Enter ``state_id`` and run its entry actions; with ``held``, the bodies of its
    notifications to the citizen are kept there (for the receipt) instead of sent."""
    workflow = compiled.procedure.workflow
    state = workflow.state(state_id)
    previous = case.state
    case.state = state_id
    case.state_entered_at = now
    case.department = department_of(compiled, state, case) or case.department
    case.closed_at = now if state.final else None
    if previous is not None:  # a draft entering its first state has no deadlines to cancel
        timers.leave_state(session, case)
    timers.enter_state(session, runtime, compiled, case, state, previous, now)
    run_actions(session, runtime, compiled, case, state.on_enter, actor, now, held=held)


def department_of(compiled: CompiledProcedure, state, case: Case) -> str:
    rule = state.department
    if isinstance(rule, RoutingRule):
        return rule.route(case.answers) or compiled.procedure.department
    return rule or compiled.procedure.department


def run_actions(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    actions: tuple[Action, ...],
    actor: Actor,
    now: dt.datetime,
    *,
    transition_values: dict[str, Any] | None = None,
    held: list[str] | None = None,
) -> None:
    for action in actions:
        names = context(runtime, compiled, case, now, transition_values)
        if action.kind == "notify" and action.target == "citizen" and held is not None:
            texts = safely_rendered(session, runtime, case, action, names, now)
            if texts is not None:
                held.append(texts[1])
        elif action.kind == "notify":
            notify_action(session, runtime, compiled, case, action, names, now)
        elif action.kind == "send":
            send(session, runtime, compiled, case, action.target, now)
        elif action.kind == "document":
            write_document(session, runtime, case, action, names, now)
        else:
            values = {key: _render(value, names) for key, value in action.values.items()}
            case.answers = {**case.answers, **values}
            index_requester(case, compiled.procedure)
            add_event(session, case, actor, now, "set", values=values)


def _render(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str) and "{{" in value:
        from definitions.expressions import Template

        return Template(value).render(names)
    return value
