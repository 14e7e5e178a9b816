"""Attachments in S3-compatible object storage, against a real S3 API server (moto, over
HTTP on 127.0.0.1), and the choice of storage from the settings."""

from __future__ import annotations

import io
import os

import pytest

from engine.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    from_settings,
    remove,
)

from ..conftest import s3_keys


def test_s3_storage_puts_opens_deletes(s3_settings):
    storage = from_settings(s3_settings)
    assert isinstance(storage, S3Storage) and isinstance(storage, Storage)
    storage.put("abc", io.BytesIO(b"%PDF-1.7 hello"))
    assert s3_keys(s3_settings) == ["pieces/abc"]  # under the prefix, by id
    assert storage.exists("abc")
    with storage.open("abc") as stream:
        assert stream.size == 14
        assert stream.read(5) == b"%PDF-"
        assert stream.read() == b"1.7 hello"
    assert storage.delete("abc") is True
    assert not storage.exists("abc")
    assert storage.delete("abc") is False
    with pytest.raises(FileNotFoundError):
        storage.open("abc")
    assert s3_keys(s3_settings) == []


def test_a_stream_is_stored_from_its_start_and_large_files_in_parts(s3_settings):
    storage = from_settings(s3_settings)
    content = os.urandom(9 * 1024 * 1024 + 17)  # above boto3's multipart threshold
    stream = io.BytesIO(content)
    stream.seek(1234)
    storage.put("big", stream)
    with storage.open("big") as stored:
        assert stored.size == len(content)
        assert stored.read() == content


@pytest.mark.parametrize("identifier", ["../outside", "a/b", "a\\b", "..", ""])
def test_s3_storage_never_takes_a_path_for_an_id(s3_settings, identifier):
    storage = from_settings(s3_settings)
    assert storage.exists(identifier) is False
    assert storage.delete(identifier) is False
    with pytest.raises((FileNotFoundError, ValueError)):
        storage.open(identifier)
    with pytest.raises(ValueError):
        storage.put(identifier, io.BytesIO(b"x"))
    assert s3_keys(s3_settings) == []


def test_an_unreachable_store_is_an_os_error_and_removal_goes_on(s3_settings):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = from_settings({**s3_settings, "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    with pytest.raises(StorageError) as raised:
        storage.put("abc", io.BytesIO(b"x"))
    assert isinstance(raised.value, OSError)
    with pytest.raises(OSError):
        storage.open("abc")
    assert remove(storage, ["abc"]) == 0  # logged, never raised: the rows are gone already


def test_a_missing_bucket_is_an_os_error(s3_settings):
    storage = from_settings({**s3_settings, "S3_BUCKET": "no-such-bucket-here"})
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        storage.put("abc", io.BytesIO(b"x"))


def test_the_settings_choose_the_storage(tmp_path):
    local = from_settings({"UPLOAD_FOLDER": str(tmp_path)})
    assert isinstance(local, LocalStorage) and local.folder == tmp_path
    assert from_settings({"STORAGE": "local", "UPLOAD_FOLDER": "x"}, tmp_path).folder == tmp_path
    with pytest.raises(ValueError, match="'ftp'"):
        from_settings({"STORAGE": "ftp"})
    with pytest.raises(ValueError, match="S3_BUCKET"):
        from_settings({"STORAGE": "s3"})
