"""Abandoned drafts: anonymous drafts nobody came back to are deleted, with their files.

A draft without an owner (filed without an account) whose last sign of life — its creation,
or the newest file it received — is older than the retention is abandoned. The worker
purges them periodically and ``guichet drafts purge`` on demand. :func:`purge_abandoned`
deletes the rows in the caller's transaction and returns the ids of the files; the caller
removes their bytes (:func:`remove_files`) once it has committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .clock import Clock
from .errors import Refused
from .models import Attachment, Case
from .storage import Storage, remove

#: How many drafts one purge deletes at most (the next one goes on).
BATCH = 500


@dataclass
class Purged:
    cases: list[int] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


def abandoned(now: dt.datetime, retention: dt.timedelta):
    """The select of the ids of anonymous drafts idle for longer than ``retention``."""
    cutoff = now - retention
    newest_file = (
        sa.select(Attachment.case_id, sa.func.max(Attachment.created_at).label("last"))
        .where(Attachment.case_id.is_not(None))
        .group_by(Attachment.case_id)
        .subquery()
    )
    return (
        sa.select(Case.id)
        .outerjoin(newest_file, newest_file.c.case_id == Case.id)
        .where(
            Case.submitted_at.is_(None),
            Case.owner_id.is_(None),
            Case.created_at < cutoff,
            sa.or_(newest_file.c.last.is_(None), newest_file.c.last < cutoff),
        )
        .order_by(Case.id)
    )


def purge_abandoned(
    session: Session, clock: Clock, *, days: int = 30, batch: int = BATCH
) -> Purged:
    """Delete the anonymous drafts idle for more than ``days`` days, and their attachments'
    rows (flushed, not committed); returns what went, attachment ids included, so that
    the caller removes the files' bytes after committing."""
    ids = list(session.scalars(abandoned(clock.now(), dt.timedelta(days=days)).limit(batch)))
    if not ids:
        return Purged()
    return Purged(ids, _delete(session, ids))


def delete_draft(session: Session, case: Case) -> list[str]:
    """Delete a draft, its answers and its attachments' rows (flushed, not committed);
    return the attachments' ids, whose bytes the caller removes once it has committed."""
    if not case.is_draft:
        raise Refused("state", "this request is already submitted; it cannot be deleted")
    return _delete(session, [case.id])


def _delete(session: Session, ids: list[int]) -> list[str]:
    """Delete cases ``ids`` with their attachments' rows; the attachments' ids."""
    files = list(session.scalars(sa.select(Attachment.id).where(Attachment.case_id.in_(ids))))
    session.execute(
        sa.delete(Attachment).where(Attachment.case_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    for case in session.scalars(sa.select(Case).where(Case.id.in_(ids))):
        session.delete(case)  # its history goes with it
    session.flush()
    return files


def remove_files(storage: Storage | Path | None, ids: list[str]) -> int:
    """Remove the stored bytes of attachments ``ids`` from ``storage`` (a folder is read as
    a :class:`~engine.storage.LocalStorage`); returns how many."""
    return remove(storage, ids)
