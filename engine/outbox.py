"""The outbox: side effects written in the case's transaction, delivered after commit.

Each row has a stable ``event_id`` that receivers can deduplicate on: a delivery is made
at least once. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that many
workers cooperate; a claim is a lease, so a worker that dies mid-delivery loses nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Case, OutboxMessage


class DeliveryFailed(Exception):
    """Raised by a connector: ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True):
        self.retryable = retryable
        super().__init__(message)


@dataclass(frozen=True)
class Delivery:
    """One delivery handed to a connector."""

    event_id: str
    connector: str
    kind: str  # notify | send
    audience: str | None
    payload: dict[str, Any]
    attempt: int


def enqueue(
    session: Session,
    *,
    case: Case | None,
    kind: str,
    connector: str,
    payload: dict[str, Any],
    now: dt.datetime,
    audience: str | None = None,
    event_id: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        event_id=event_id or str(uuid.uuid4()),
        case_id=case.id if case else None,
        kind=kind,
        connector=connector,
        audience=audience,
        payload=payload,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def claim(
    session: Session,
    model,
    *,
    due_column,
    now: dt.datetime,
    limit: int,
    lease: dt.timedelta,
    pending: str = "pending",
    running: str = "running",
) -> list:
    """Claim up to ``limit`` due rows of ``model`` (outbox rows or timers) for one worker.

    Rows whose lease ran out (their worker died) are claimed again. The caller commits.
    """
    token = str(uuid.uuid4())
    due = (
        sa.select(model.id)
        .where(
            sa.or_(
                sa.and_(model.status == pending, due_column <= now),
                sa.and_(model.status == running, model.locked_until < now),
            )
        )
        .order_by(due_column, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        sa.update(model)
        .where(model.id.in_(due.scalar_subquery()))
        .values(status=running, claim=token, locked_until=now + lease, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(sa.select(model).where(model.claim == token).order_by(due_column, model.id))
    )


def backoff(attempts: int, base: dt.timedelta, ceiling: dt.timedelta) -> dt.timedelta:
    return min(base * (2 ** max(attempts - 1, 0)), ceiling)


def dead_letters(session: Session, connector: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.status == "dead")
    if connector:
        query = query.where(OutboxMessage.connector == connector)
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def replay(session: Session, ids: list[int] | None, now: dt.datetime) -> int:
    """Put dead letters back in the queue (all of them when ``ids`` is None)."""
    query = sa.update(OutboxMessage).where(OutboxMessage.status == "dead")
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    result = session.execute(
        query.values(
            status="pending", attempts=0, next_attempt_at=now, claim=None, locked_until=None
        )
    )
    return result.rowcount
