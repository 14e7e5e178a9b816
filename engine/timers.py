"""Deadlines and the legal clock, stored as timers in the database.

Entering a state schedules its deadlines (fire or remind); leaving it cancels them. The
legal clock starts when the case first enters ``starts_in``, is suspended in ``pauses_in``
(what is left of it is kept), continues or restarts on resume, alerts the agents
``alert_before_days`` before it expires, fires its transition at expiry, and stops in a
final state. The worker fires timers when they fall due, from any machine.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from definitions.model import State

from .catalogue import Runtime
from .models import Case, Timer
from .workflow import CompiledProcedure

STATE_KINDS = ("fire", "remind")
CLOCK_KINDS = ("clock_expiry", "clock_alert")


def _cancel(session: Session, case: Case, kinds: tuple[str, ...]) -> None:
    session.execute(
        sa.update(Timer)
        # a timer a worker has claimed ("running") is cancelled too: it must not fire later
        .where(
            Timer.case_id == case.id,
            Timer.kind.in_(kinds),
            Timer.status.in_(("pending", "running")),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def leave_state(session: Session, case: Case) -> None:
    """Cancel the deadlines of the state the case leaves."""
    _cancel(session, case, STATE_KINDS)


def enter_state(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    state: State,
    previous: str | None,
    now: dt.datetime,
) -> None:
    calendar = runtime.calendar
    for deadline in state.deadlines if not state.final else ():
        session.add(
            Timer(
                case_id=case.id,
                state=state.id,
                created_at=now,
                kind="fire" if deadline.fire else "remind",
                transition=deadline.fire,
                audience=deadline.remind,
                due_at=calendar.add(now, days=deadline.days, working_days=deadline.working_days),
            )
        )
    clock = compiled.procedure.workflow.clock
    if clock is None:
        return
    if state.final:
        if case.clock_started_at is not None:
            _cancel(session, case, CLOCK_KINDS)
        return
    if case.clock_started_at is None:
        if state.id == clock.starts_in:
            case.clock_started_at = now
            _run_clock(session, runtime, compiled, case, now, full=True)
        return
    if case.clock_expires_at is not None and case.clock_expires_at <= now:
        return  # an expired clock stays expired: it is neither paused nor armed again
    paused = case.clock_paused_at is not None
    if not paused and state.id in clock.pauses_in:
        case.clock_remaining_days = calendar.days_left(
            now, case.clock_expires_at, working_days=clock.working_days and bool(clock.days)
        )
        case.clock_paused_at = now
        case.clock_expires_at = None
        _cancel(session, case, CLOCK_KINDS)
    elif paused and state.id not in clock.pauses_in:
        case.clock_paused_at = None
        _run_clock(session, runtime, compiled, case, now, full=clock.on_resume == "restart")


def _run_clock(
    session: Session,
    runtime: Runtime,
    compiled: CompiledProcedure,
    case: Case,
    now: dt.datetime,
    *,
    full: bool,
) -> None:
    clock = compiled.procedure.workflow.clock
    calendar = runtime.calendar
    if full:
        expires = calendar.add(
            now,
            days=clock.days or 0,
            months=clock.months or 0,
            working_days=clock.working_days and bool(clock.days),
        )
    else:
        expires = calendar.add(
            now,
            days=case.clock_remaining_days or 0,
            working_days=clock.working_days and bool(clock.days),
        )
    case.clock_expires_at = expires
    case.clock_remaining_days = None
    session.add(
        Timer(
            case_id=case.id,
            kind="clock_expiry",
            due_at=expires,
            transition=clock.fire,
            created_at=now,
        )
    )
    if clock.alert_before_days:
        alert = calendar.add(
            expires,
            days=-clock.alert_before_days,
            working_days=clock.working_days and bool(clock.days),
        )
        if alert > now:
            session.add(
                Timer(
                    case_id=case.id,
                    kind="clock_alert",
                    due_at=alert,
                    audience="agents",
                    created_at=now,
                )
            )
