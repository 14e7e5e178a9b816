"""Where the bytes of attachments live: a local folder, or S3-compatible object storage.

An attachment's bytes are stored under its id (a random UUID), never under a name a citizen
chose. :class:`Storage` is what the engine, the connectors and the download need;
:class:`LocalStorage` keeps them as files of one folder (``UPLOAD_FOLDER``, outside the web
root: the embedded default); :class:`S3Storage` as objects of one bucket of an S3-compatible
object store (boto3: AWS, or the French hosts' object storage, MinIO...), for web and worker
processes on several machines. :func:`from_settings` picks one from the configuration.
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


class StorageError(OSError):
    """The object store refused or could not be reached (an :class:`OSError`, as a disk's
    failure is, so that callers handle both alike)."""


class S3Object:
    """The bytes of one stored object, read as they come (a file-like object with ``read``
    and ``close``); ``size`` is its length in bytes."""

    def __init__(self, body, size: int):
        self._body = body
        self.size = size

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class S3Storage:
    """Attachments as objects of ``bucket`` (under ``prefix``), each named by its id. An
    object is written whole or not at all (the store makes it visible once complete)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: str = "path",
        client=None,
    ):
        if not bucket:
            raise ValueError("S3 storage needs a bucket (S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix
        if client is None:
            import boto3
            from botocore.config import Config

            # without a key here, boto3 reads AWS_ACCESS_KEY_ID and the rest of its chain
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                config=Config(
                    s3={"addressing_style": addressing_style},
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        self.client = client

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, prefix={self.prefix!r})"

    def key(self, identifier: str) -> str:
        if not _safe(identifier):
            raise ValueError(f"not an attachment id: {identifier!r}")
        return self.prefix + identifier

    def put(self, identifier: str, stream: BinaryIO) -> None:
        key = self.key(identifier)
        stream.seek(0)
        try:
            # multipart above 8 MiB; an incomplete upload is aborted, never visible
            self.client.upload_fileobj(stream, self.bucket, key)
        except Exception as error:
            raise StorageError(f"cannot store {identifier} in {self.bucket}: {error}") from error

    def open(self, identifier: str) -> S3Object:
        if not _safe(identifier):
            raise FileNotFoundError(identifier)
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.key(identifier))
        except Exception as error:
            if _missing(error):
                raise FileNotFoundError(identifier) from error
            raise StorageError(f"cannot read {identifier} from {self.bucket}: {error}") from error
        return S3Object(found["Body"], found["ContentLength"])

    def delete(self, identifier: str) -> bool:
        if not self.exists(identifier):
            return False
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(identifier))
        except Exception as error:
            raise StorageError(f"cannot delete {identifier} from {self.bucket}: {error}") from error
        return True

    def exists(self, identifier: str) -> bool:
        if not _safe(identifier):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(identifier))
        except Exception as error:
            if _missing(error):
                return False
            raise StorageError(f"cannot read {identifier} from {self.bucket}: {error}") from error
        return True


def _missing(error: Exception) -> bool:
    """Whether a boto3 error says there is no such object."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def from_settings(settings, folder: Path | str | None = None) -> Storage:
    """The storage the settings name: ``STORAGE = "local"`` (the files of ``folder``, or of
    ``UPLOAD_FOLDER``) or ``"s3"`` (the ``S3_*`` settings)."""
    kind = (settings.get("STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(folder or settings["UPLOAD_FOLDER"])
    if kind == "s3":
        return S3Storage(
            settings.get("S3_BUCKET") or "",
            prefix=settings.get("S3_PREFIX") or "",
            endpoint_url=settings.get("S3_ENDPOINT_URL"),
            region=settings.get("S3_REGION"),
            access_key_id=settings.get("S3_ACCESS_KEY_ID"),
            secret_access_key=settings.get("S3_SECRET_ACCESS_KEY"),
            addressing_style=settings.get("S3_ADDRESSING_STYLE") or "path",
        )
    raise ValueError(f"STORAGE is {kind!r}: it must be 'local' or 's3'")


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
