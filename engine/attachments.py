"""Attachments as engine operations: a row in the caller's transaction, bytes in a Storage.

Bytes and rows never disagree for long, and nothing is lost:

- :func:`add_attachment` adds the row and remembers the stream in a :class:`FileChanges`;
  :meth:`FileChanges.commit` writes the bytes just before the commit, and deletes them
  again when the write or the commit fails (rolled back: no row, no file);
- :func:`remove_attachments` deletes the rows; their bytes go only once the commit went
  through (a failed commit keeps both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Attachment, Case
from .storage import Storage, remove


@dataclass
class FileChanges:
    """The bytes to write before a commit, and those to delete after it."""

    storage: Storage
    pending: list[tuple[str, BinaryIO]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def write(self) -> None:
        """Store every pending stream; on a failure, remove what was stored and raise."""
        written: list[str] = []
        try:
            for identifier, stream in self.pending:
                self.storage.put(identifier, stream)
                written.append(identifier)
        except BaseException:
            self.discard(written)
            raise

    def discard(self, ids: Iterable[str] | None = None) -> None:
        """Remove the bytes written for the pending attachments (``ids``, or all)."""
        remove(self.storage, list(ids) if ids is not None else [i for i, _ in self.pending])

    def commit(self, session: Session) -> None:
        """Write the new files, commit, then remove the files deleted; on any failure the
        new files are removed again and the transaction rolled back."""
        try:
            self.write()
            session.commit()
        except BaseException:
            session.rollback()
            self.discard()
            raise
        remove(self.storage, self.removed)


def measure(stream: BinaryIO) -> tuple[int, str]:
    """The size and SHA-256 of ``stream``'s contents, read from its start (left at its start)."""
    digest = hashlib.sha256()
    stream.seek(0)
    size = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return size, digest.hexdigest()


def add_attachment(
    session: Session,
    changes: FileChanges,
    case: Case,
    field_id: str,
    stream: BinaryIO,
    filename: str,
    detected_type: str | None,
    now: dt.datetime,
) -> str:
    """Add an attachment of ``case``'s field ``field_id`` (its row to the session, its bytes
    to ``changes``, written by :meth:`FileChanges.commit`); returns its id. ``filename`` is
    the name it is downloaded under; ``detected_type`` the type its content showed."""
    identifier = str(uuid.uuid4())
    size, sha256 = measure(stream)
    session.add(
        Attachment(
            id=identifier,
            case_id=case.id,
            owner_id=case.owner_id,
            field=field_id,
            filename=filename,
            content_type=detected_type or "application/octet-stream",
            size=size,
            sha256=sha256,
            created_at=now,
        )
    )
    changes.pending.append((identifier, stream))
    return identifier


def remove_attachments(
    session: Session, changes: FileChanges, case: Case, ids: Iterable[str]
) -> list[str]:
    """Delete the rows of ``case``'s attachments ``ids`` (others' are never touched); their
    bytes go after the commit (:meth:`FileChanges.commit`). Returns the ids deleted."""
    ids = set(ids)
    if not ids:
        return []
    rows = session.scalars(
        sa.select(Attachment).where(Attachment.id.in_(ids), Attachment.case_id == case.id)
    )
    gone = []
    for row in rows:
        session.delete(row)
        changes.removed.append(row.id)
        gone.append(row.id)
    return gone
