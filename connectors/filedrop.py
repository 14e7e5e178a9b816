"""``filedrop``: the event (and its attachments) written into a folder, atomically.

Each delivery becomes ``<event id>.json`` (written to a temporary name, flushed, then
renamed), so that the system picking files up never sees half a file; a delivery made
twice writes the same file again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from .base import Connector, Delivery, DeliveryFailed


class FiledropConnector(Connector):
    type = "filedrop"
    settings_schema = {
        "type": "object",
        "required": ["path"],
        "additionalProperties": False,
        "properties": {
            "path": {"type": "string", "minLength": 1, "description": "the folder to write to"},
            "attachments": {"type": "boolean", "description": "copy the attachments too"},
        },
    }

    def __init__(self, name, settings, *, storage=None):
        super().__init__(name, settings, storage=storage)
        self.folder = Path(settings["path"])

    def deliver(self, delivery: Delivery) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.settings.get("attachments"):
                # the attachments first: the event file appears only when they are all there
                for item in delivery.payload.get("data", {}).get("attachments", []):
                    self.copy_attachment(delivery, item)
            body = json.dumps(delivery.payload, ensure_ascii=False, indent=2).encode("utf-8")
            write_atomically(self.folder / f"{delivery.event_id}.json", body)
        except OSError as error:
            raise DeliveryFailed(f"cannot write into {self.folder}: {error.strerror}") from error

    def copy_attachment(self, delivery: Delivery, item: dict) -> None:
        identifier = str(item["id"])
        if self.storage is None or not self.storage.exists(identifier):
            raise DeliveryFailed(
                f"the attachment {identifier} of {delivery.event_id} is missing from the storage",
                retryable=False,
            )
        with self.storage.open(identifier) as stream:
            write_atomically(self.folder / f"{delivery.event_id}-{identifier}", stream)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


#: Files are readable as any file this process writes (mkstemp would make them private).
FILE_MODE = 0o666 & ~_umask()


def write_atomically(path: Path, body: bytes | BinaryIO) -> None:
    """Write ``body`` to ``path`` so that readers see no file, or the whole of it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if isinstance(body, bytes | bytearray):
                stream.write(body)
            else:
                shutil.copyfileobj(body, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
