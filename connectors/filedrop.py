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

    def __init__(self, name, settings, *, storage: Path | None = None):
        super().__init__(name, settings)
        self.folder = Path(settings["path"])
        self.storage = storage  # where attachments' content lives, when they are copied

    def deliver(self, delivery: Delivery) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            body = json.dumps(delivery.payload, ensure_ascii=False, indent=2).encode("utf-8")
            write_atomically(self.folder / f"{delivery.event_id}.json", body)
            if self.settings.get("attachments") and self.storage is not None:
                for item in delivery.payload.get("data", {}).get("attachments", []):
                    source = self.storage / item["id"]
                    if source.exists():
                        target = self.folder / f"{delivery.event_id}-{item['id']}"
                        with tempfile.NamedTemporaryFile(dir=self.folder, delete=False) as tmp:
                            shutil.copyfileobj(source.open("rb"), tmp)
                        os.replace(tmp.name, target)
        except OSError as error:
            raise DeliveryFailed(f"cannot write into {self.folder}: {error.strerror}") from error


def write_atomically(path: Path, body: bytes) -> None:
    """Write ``body`` to ``path`` so that readers see the old file or the whole new one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
