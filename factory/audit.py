"""The audit log: what staff read and did, with who and when."""

from __future__ import annotations

from flask_login import current_user

from engine.models import AuditEvent, Case

from .services import db, services


def audit(action: str, case: Case | None = None, **detail) -> None:
    db().add(
        AuditEvent(
            at=services().clock.now(),
            account_id=current_user.id,
            action=action,
            case_id=case.id if case else None,
            detail=detail,
        )
    )
