"""The audit log: what staff read and did, with who and when.

Every operation of the back office and the console records its act here, in the caller's
transaction (added, not committed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent, Case


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
