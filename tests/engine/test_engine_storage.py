"""Attachments as engine operations over a Storage, and the audit log written by the engine."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from engine import cases
from engine.attachments import FileChanges, add_attachment, remove_attachments
from engine.audit import record
from engine.models import Attachment, AuditEvent
from engine.storage import LocalStorage, Storage, as_storage, remove
from engine.workflow import Actor

CITIZEN = Actor("citizen")


class FailingStorage(LocalStorage):
    """Writes the first file, then fails on the second."""

    def __init__(self, folder):
        super().__init__(folder)
        self.puts = 0

    def put(self, identifier, stream):
        self.puts += 1
        if self.puts > 1:
            raise OSError("disk full")
        super().put(identifier, stream)


def test_local_storage_puts_opens_deletes(tmp_path):
    storage = LocalStorage(tmp_path)
    assert isinstance(storage, Storage)
    storage.put("abc", io.BytesIO(b"%PDF-1.7 hello"))
    assert storage.exists("abc")
    assert [p.name for p in tmp_path.iterdir()] == ["abc"]  # no ".part" left behind
    with storage.open("abc") as stream:
        assert stream.read() == b"%PDF-1.7 hello"
    assert storage.delete("abc") is True
    assert not storage.exists("abc")
    assert storage.delete("abc") is False
    with pytest.raises(FileNotFoundError):
        storage.open("abc")


@pytest.mark.parametrize("identifier", ["../outside", "a/b", "a\\b", "..", ""])
def test_local_storage_never_takes_a_path_for_an_id(tmp_path, identifier):
    (tmp_path / "outside").write_bytes(b"keep me")
    storage = LocalStorage(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    assert storage.exists(identifier) is False
    assert storage.delete(identifier) is False
    with pytest.raises((FileNotFoundError, ValueError)):
        storage.open(identifier)
    with pytest.raises(ValueError):
        storage.put(identifier, io.BytesIO(b"x"))
    assert (tmp_path / "outside").read_bytes() == b"keep me"


def test_a_folder_is_read_as_local_storage(tmp_path):
    (tmp_path / "one").write_bytes(b"1")
    assert remove(tmp_path, ["one", "missing", "../x"]) == 1
    assert not (tmp_path / "one").exists()
    storage = LocalStorage(tmp_path)
    assert as_storage(storage) is storage
    assert as_storage(None) is None


def _draft(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        case = cases.new_draft(session, runtime, published["acte-naissance"], CITIZEN, clock)
        return case.id


def test_added_files_are_written_at_commit_and_removed_after_the_next(
    sessions, runtime, published, clock, tmp_path
):
    storage = LocalStorage(tmp_path / "files")
    (tmp_path / "files").mkdir()
    case_id = _draft(sessions, runtime, published, clock)
    with sessions() as session:
        from engine.models import Case

        case = session.get(Case, case_id)
        changes = FileChanges(storage)
        one = add_attachment(
            session,
            changes,
            case,
            "piece_identite",
            io.BytesIO(b"%PDF one"),
            "a.pdf",
            "application/pdf",
            clock.now(),
        )
        assert not storage.exists(one)  # nothing written before the commit
        changes.commit(session)
        assert storage.exists(one)
        row = session.get(Attachment, one)
        assert (row.size, row.filename, row.content_type) == (8, "a.pdf", "application/pdf")

        changes = FileChanges(storage)
        assert remove_attachments(session, changes, case, [one, "someone-elses"]) == [one]
        assert storage.exists(one)  # the bytes stay until the rows are gone for good
        changes.commit(session)
        assert not storage.exists(one)
        assert session.get(Attachment, one) is None


def test_a_failed_write_leaves_neither_rows_nor_bytes(
    sessions, runtime, published, clock, tmp_path
):
    storage = FailingStorage(tmp_path / "files")
    (tmp_path / "files").mkdir()
    case_id = _draft(sessions, runtime, published, clock)
    with sessions() as session:
        from engine.models import Case

        case = session.get(Case, case_id)
        changes = FileChanges(storage)
        for name in ("a.pdf", "b.pdf"):
            add_attachment(
                session,
                changes,
                case,
                "piece_identite",
                io.BytesIO(b"%PDF"),
                name,
                "application/pdf",
                clock.now(),
            )
        with pytest.raises(OSError):
            changes.commit(session)
    assert list((tmp_path / "files").iterdir()) == []
    with sessions() as session:
        assert session.scalars(sa.select(Attachment)).all() == []


def test_a_failed_commit_keeps_the_removed_files_and_drops_the_new_ones(
    sessions, runtime, published, clock, tmp_path, monkeypatch
):
    storage = LocalStorage(tmp_path / "files")
    (tmp_path / "files").mkdir()
    case_id = _draft(sessions, runtime, published, clock)
    with sessions() as session:
        from engine.models import Case

        case = session.get(Case, case_id)
        changes = FileChanges(storage)
        kept = add_attachment(
            session,
            changes,
            case,
            "piece_identite",
            io.BytesIO(b"%PDF"),
            "a.pdf",
            "application/pdf",
            clock.now(),
        )
        changes.commit(session)

        changes = FileChanges(storage)
        remove_attachments(session, changes, case, [kept])
        new = add_attachment(
            session,
            changes,
            case,
            "piece_identite",
            io.BytesIO(b"%PDF new"),
            "b.pdf",
            "application/pdf",
            clock.now(),
        )

        def fail():
            raise sa.exc.OperationalError("COMMIT", {}, Exception("the database went away"))

        monkeypatch.setattr(session, "commit", fail)
        with pytest.raises(sa.exc.OperationalError):
            changes.commit(session)
    assert storage.exists(kept)
    assert not storage.exists(new)
    with sessions() as session:
        assert session.get(Attachment, kept) is not None
        assert session.get(Attachment, new) is None


def test_the_engine_records_the_audit_log(sessions, clock):
    with sessions() as session, session.begin():
        record(session, None, "procedure.check", clock.now(), detail={"problems": 0})
    with sessions() as session:
        event = session.scalars(sa.select(AuditEvent)).one()
        assert (event.action, event.case_id, event.detail) == (
            "procedure.check",
            None,
            {"problems": 0},
        )
        assert event.at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
