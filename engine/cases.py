"""Operations on cases: drafts, submission, firing transitions, assignment.

Every function takes a session, a runtime, an actor and a clock; it flushes and lets the
caller commit. Side effects (mail, deliveries) are only written to the outbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from definitions.answers import validate_answers, validate_form

from .catalogue import Runtime
from .clock import Clock
from .errors import Conflict, InvalidValues, NotFound, Refused
from .inbox import index_requester
from .models import Account, Case, ProcedureVersion, ReferenceCounter
from .notifications import notify_receipt
from .steps import add_event, case_view, context, enter_state, run_actions
from .workflow import Actor, CompiledProcedure, may_act


def new_draft(
    session: Session,
    runtime: Runtime,
    version: ProcedureVersion,
    actor: Actor,
    clock: Clock,
    *,
    channel: str = "online",
    owner_id: int | None = None,
) -> Case:
    """A draft of ``version``, owned by the citizen acting (or filed for ``owner_id``)."""
    now = clock.now()
    owner = (
        owner_id
        if owner_id is not None
        else (actor.account_id if actor.kind == "citizen" else None)
    )
    case = Case(
        procedure=version.slug,
        version_id=version.id,
        channel=channel,
        answers={},
        owner_id=owner,
        created_at=now,
        tracking_token=None if owner else secrets.token_urlsafe(32),
    )
    session.add(case)
    session.flush()
    return case


def save_answers(
    session: Session,
    case: Case,
    answers: dict[str, Any],
    *,
    page: str | None = None,
    replacing: frozenset[str] | set[str] = frozenset(),
) -> Case:
    """Merge a page's answers into a draft (validation is the page form's job, and submit's).

    ``replacing`` names the answers the page holds: those absent from ``answers`` (left
    empty, or not valid) are dropped from the draft. A null value means "not answered": it
    removes an earlier answer."""
    if not case.is_draft:
        raise Refused("state", "this request is already submitted; its answers cannot change")
    kept = {k: v for k, v in case.answers.items() if k not in replacing or k in answers}
    merged = {**kept, **answers}
    case.answers = {key: value for key, value in merged.items() if value is not None}
    if page is not None:
        case.current_page = page
    session.flush()
    return case


def drafts_of(
    session: Session,
    procedure: str,
    *,
    owner_id: int | None = None,
    case_ids: list[int] | tuple[int, ...] = (),
) -> list[Case]:
    """The drafts of ``procedure`` owned by ``owner_id``, and the anonymous drafts among
    ``case_ids`` (a browser's own), newest first."""
    mine = []
    if owner_id is not None:
        mine.append(Case.owner_id == owner_id)
    if case_ids:
        mine.append(sa.and_(Case.owner_id.is_(None), Case.id.in_(list(case_ids))))
    if not mine:
        return []
    return list(
        session.scalars(
            sa.select(Case)
            .where(Case.procedure == procedure, Case.submitted_at.is_(None), sa.or_(*mine))
            .order_by(Case.created_at.desc(), Case.id.desc())
        )
    )


def next_reference(session: Session, compiled: CompiledProcedure, year: int) -> str:
    """The next reference of a procedure for a year, safe under concurrent submissions."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReferenceCounter)
    statement = insert.values(procedure=compiled.procedure.slug, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ReferenceCounter.procedure, ReferenceCounter.year],
        set_={"last": ReferenceCounter.last + 1},
    ).returning(ReferenceCounter.last)
    sequence = session.execute(statement).scalar_one()
    return compiled.procedure.format_reference(year, sequence)


def submit(
    session: Session,
    runtime: Runtime,
    case: Case,
    actor: Actor,
    clock: Clock,
    *,
    idempotency_key: str | None = None,
    receipt: bool = False,
    tracking_link: Callable[[str], str] | None = None,
) -> Case:
    """Validate the whole answer set, give the case its reference, enter the initial state;
    with ``receipt``, queue the acknowledgement of receipt too (:func:`notify_receipt`, with
    the tracking link ``tracking_link`` makes for an anonymous filer).

    Replaying a submission (the same case, or the same ``idempotency_key``) returns the
    case already submitted. When another transaction submits the same case (or another one
    with the same key) at the same instant, this one's writes are rolled back to a savepoint
    and a :class:`Conflict` is raised: the session stays usable to read what the winner stored.
    """
    if idempotency_key:
        existing = session.scalars(
            sa.select(Case).where(Case.idempotency_key == idempotency_key)
        ).first()
        if existing is not None and existing.id != case.id:
            # a key replays its own submission, never hands over another request
            raise Refused("state", "this submission key belongs to another request")
        if existing is not None and not existing.is_draft:
            return existing
    if not case.is_draft:
        return case
    compiled = runtime.catalogue.compiled(session, case.version_id)
    now = clock.now()
    kept, errors = validate_answers(
        compiled.procedure, case.answers, today=runtime.calendar.today(now), case=case_view(case)
    )
    if errors:
        raise InvalidValues(errors, "the answers are not complete or not valid")
    try:
        with session.begin_nested(), optimistic():
            # the counter first: its statement would otherwise flush the case's changes,
            # and the case would be written twice
            reference = next_reference(session, compiled, runtime.calendar.local(now).year)
            case.answers = kept
            index_requester(case, compiled.procedure)
            case.idempotency_key = idempotency_key
            case.reference = reference
            case.submitted_at = now
            initial = compiled.procedure.workflow.initial
            add_event(session, case, actor, now, "submitted", to_state=initial)
            # with a receipt, what the workflow tells the citizen at filing goes in it
            held: list[str] | None = [] if receipt else None
            enter_state(session, runtime, compiled, case, initial, actor, now, held=held)
            session.flush()
    except IntegrityError as error:
        if not idempotency_key or "idempotency_key" not in str(error.orig):
            raise
        # the same key, stored by another submission at the same instant
        raise Conflict("this request was submitted at the same time by another click") from error
    if receipt:
        notify_receipt(
            session,
            runtime,
            compiled,
            case,
            clock.now(),
            tracking_link=tracking_link,
            own=tuple(held or ()),
        )
    return case


def submit_answers(
    session: Session,
    runtime: Runtime,
    version: ProcedureVersion,
    answers: dict[str, Any],
    actor: Actor,
    clock: Clock,
    *,
    idempotency_key: str | None = None,
    channel: str = "online",
    owner_id: int | None = None,
) -> Case:
    """File a whole answer set at once (the API, the counter, procedure tests)."""
    if idempotency_key:
        existing = session.scalars(
            sa.select(Case).where(Case.idempotency_key == idempotency_key)
        ).first()
        if existing is not None and not existing.is_draft:
            return existing
    try:
        with session.begin_nested():
            case = new_draft(
                session, runtime, version, actor, clock, channel=channel, owner_id=owner_id
            )
            case.answers = dict(answers)
            return submit(session, runtime, case, actor, clock, idempotency_key=idempotency_key)
    except (Conflict, Refused):
        # the same submission, made at the same instant: the winner's case (its key may be
        # committed between the check above and this draft's submission, which then finds
        # the key taken by another case)
        if idempotency_key:
            existing = session.scalars(
                sa.select(Case)
                .where(Case.idempotency_key == idempotency_key)
                .execution_options(populate_existing=True)
            ).first()
            if existing is not None and not existing.is_draft:
                return existing
        raise


def fire(
    session: Session,
    runtime: Runtime,
    case: Case,
    transition_id: str,
    actor: Actor,
    clock: Clock,
    *,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Fire a transition: the state, the actor and the guard are checked, in that order,
    then the transition's form; a stale ``expected_version`` is a :class:`Conflict`."""
    if expected_version is not None and expected_version != case.lock_version:
        raise Conflict("the case changed since you opened it; reload it to see what changed")
    if case.is_draft or case.closed_at is not None and case.state is None:
        raise Refused("state", "this request is not in a workflow")
    compiled = runtime.catalogue.compiled(session, case.version_id)
    transition = compiled.transition(transition_id)
    if transition is None:
        raise NotFound(f"{case.procedure} has no transition {transition_id!r}")
    if not compiled.leaves(transition_id, case.state):
        raise Refused("state", f"{transition_id!r} cannot be fired from the state {case.state!r}")
    if not may_act(
        transition,
        actor,
        department=case.department,
        owner_id=case.owner_id,
        tracking_token=case.tracking_token,
    ):
        raise Refused(
            "actor",
            f"{transition_id!r} is not yours to fire: it is done by "
            f"{transition.actor_department or transition.actor}",
        )
    now = clock.now()
    if transition.guard is not None and not transition.guard.holds(
        context(runtime, compiled, case, now)
    ):
        raise Refused(
            "guard", f"the condition of {transition_id!r} does not hold: {transition.guard.source}"
        )
    kept: dict[str, Any] = {}
    if transition.form or values:
        kept, errors = validate_form(
            transition.form,
            values or {},
            today=runtime.calendar.today(now),
            context=context(runtime, compiled, case, now),
            schema=compiled.form_schemas.get(transition_id, {}),
        )
        if errors:
            raise InvalidValues(errors, "the form is not complete or not valid")
    with optimistic():
        add_event(
            session,
            case,
            actor,
            now,
            "transition",
            transition=transition_id,
            from_state=case.state,
            to_state=transition.target,
            values=kept,
        )
        run_actions(
            session,
            runtime,
            compiled,
            case,
            transition.on_fire,
            actor,
            now,
            transition_values={f.id: kept.get(f.id) for f in transition.form},
        )
        enter_state(session, runtime, compiled, case, transition.target, actor, now)
        session.flush()
    return case


def assign(
    session: Session,
    case: Case,
    assignee: Account | None,
    actor: Actor,
    clock: Clock,
    *,
    expected_version: int | None = None,
) -> Case:
    """Give the case to an agent of its department (or to nobody)."""
    if expected_version is not None and expected_version != case.lock_version:
        raise Conflict("the case changed since you opened it; reload it to see what changed")
    if not actor.is_staff or case.department not in actor.departments:
        raise Refused("actor", "only the agents of the case's department may assign it")
    if assignee is not None and (case.department not in assignee.departments):
        raise Refused("actor", "the case can only be given to an agent of its department")
    case.assignee_id = assignee.id if assignee else None
    add_event(
        session,
        case,
        actor,
        clock.now(),
        "assigned",
        values={"assignee": assignee.id if assignee else None},
    )
    _flush(session)
    return case


def _flush(session: Session) -> None:
    with optimistic():
        session.flush()


@contextmanager
def optimistic():
    """Turn a lost race on a case (its version changed under us) into a :class:`Conflict`."""
    try:
        yield
    except StaleDataError as error:
        raise Conflict("someone else changed this case at the same time; reload it") from error
