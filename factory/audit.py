"""The audit log of a request: the signed-in account's act, recorded by the engine."""

from __future__ import annotations

from flask_login import current_user

from engine.audit import record
from engine.models import Case

from .services import db, services


def audit(action: str, case: Case | None = None, **detail) -> None:
    """Record ``action`` of the signed-in account (on ``case``) in the audit log."""
    record(db(), current_user.id, action, services().clock.now(), case=case, detail=detail)
