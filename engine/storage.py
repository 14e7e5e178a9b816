"""Where the bytes of attachments live: a small interface, a local folder today.

An attachment's bytes are stored under its id (a random UUID), never under a name a citizen
chose. :class:`Storage` is what the engine, the connectors and the download need;
:class:`LocalStorage` keeps them as files of one folder (``UPLOAD_FOLDER``, outside the web
root). Object storage would be one more class with the same four methods.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class Storage(Protocol):
    def put(self, identifier: str, stream: BinaryIO) -> None:
        """Store the bytes of ``stream`` (from its start) under ``identifier``, whole or not
        at all."""

    def open(self, identifier: str) -> BinaryIO:
        """The stored bytes of ``identifier``; :class:`FileNotFoundError` when there are none."""

    def delete(self, identifier: str) -> bool:
        """Remove the bytes of ``identifier``; whether there were any."""

    def exists(self, identifier: str) -> bool:
        """Whether bytes are stored under ``identifier``."""


def _safe(identifier: str) -> bool:
    return (
        bool(identifier)
        and "/" not in identifier
        and "\\" not in identifier
        and (identifier not in (".", ".."))
    )


class LocalStorage:
    """Attachments as files of ``folder``, each named by its id; written to ``ID.part``
    first and renamed once whole."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.folder)!r})"

    def path(self, identifier: str) -> Path:
        """The file of ``identifier`` (which must be an id, never a path)."""
        if not _safe(identifier):
            raise ValueError(f"not an attachment id: {identifier!r}")
        return self.folder / identifier

    def put(self, identifier: str, stream: BinaryIO) -> None:
        path = self.path(identifier)
        part = path.with_name(path.name + ".part")
        stream.seek(0)
        try:
            with part.open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            part.replace(path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise

    def open(self, identifier: str) -> BinaryIO:
        if not _safe(identifier):
            raise FileNotFoundError(identifier)
        return self.path(identifier).open("rb")

    def delete(self, identifier: str) -> bool:
        if not _safe(identifier):
            return False
        path = self.path(identifier)
        path.with_name(path.name + ".part").unlink(missing_ok=True)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, identifier: str) -> bool:
        return _safe(identifier) and self.path(identifier).is_file()


def as_storage(where: Storage | Path | str | None) -> Storage | None:
    """A :class:`Storage` for ``where``: a storage as is, a folder as a :class:`LocalStorage`."""
    if where is None or isinstance(where, Storage):
        return where
    return LocalStorage(where)


def remove(storage: Storage | Path | str | None, ids: list[str]) -> int:
    """Remove the stored bytes of attachments ``ids``; returns how many went. A failure is
    logged, never raised: the rows are gone already."""
    storage = as_storage(storage)
    if storage is None:
        return 0
    removed = 0
    for identifier in ids:
        try:
            removed += bool(storage.delete(identifier))
        except OSError:
            log.exception("the file of attachment %s could not be removed", identifier)
    return removed
