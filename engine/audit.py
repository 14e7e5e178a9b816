"""The audit log: what staff read and did, with who and when.

Every operation of the back office and the console records its act here, in the caller's
transaction (added, not committed).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent, Case

logger = logging.getLogger(__name__)


def record(
    session: Session,
    account_id: int | None,
    action: str,
    now: dt.datetime,
    *,
    case: Case | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one line to the audit log: ``account_id`` did ``action`` (on ``case``) at
    ``now``; ``detail`` holds what else the line says (JSON)."""
    event = AuditEvent(
        at=now,
        account_id=account_id,
        action=action,
        case_id=case.id if case is not None else None,
        detail=dict(detail or {}),
    )
    session.add(event)
    return event


def record_not_rendered(
    session: Session,
    case: Case,
    action: str,
    error: BaseException,
    now: dt.datetime,
    **detail: Any,
) -> None:
    """Record on ``case`` (audit log ``action``, and the log) that a text or a document
    could not be rendered on its values, with the reason; what the case was doing goes on."""
    reason = f"{type(error).__name__}: {error}"
    logger.warning("case %s: %s %s: %s", case.id, action, detail, reason)
    record(
        session,
        None,
        action,
        now,
        case=case,
        detail={**detail, "state": case.state, "reason": reason},
    )
