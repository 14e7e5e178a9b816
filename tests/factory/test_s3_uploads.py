"""The portal with attachments in S3-compatible object storage (a real S3 API server)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from engine.models import Attachment
from engine.storage import S3Storage

from ..conftest import s3_keys
from .portal_helpers import CITIZENS, fill, make_app, sign_in, start, submit


def test_filed_files_go_to_the_object_store_and_come_back_as_downloads(
    tmp_path, example_environ, examples, s3_settings
):
    from definitions.scenarios import resolve_dates

    app = make_app(tmp_path, CITIZENS, **s3_settings)
    assert isinstance(app.extensions["guichet"].storage, S3Storage)
    procedure, suite = examples["acte-naissance"]
    owner = app.test_client()
    sign_in(owner, "a@example.org")
    case_id = start(owner, "acte-naissance")
    fill(
        owner, procedure, case_id, resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    )
    assert submit(owner, case_id).status_code == 302
    with app.extensions["guichet"].sessions() as session:
        attachments = session.scalars(sa.select(Attachment)).all()
    assert attachments
    assert s3_keys(s3_settings) == sorted(f"pieces/{a.id}" for a in attachments)
    assert not (tmp_path / "uploads").exists()  # nothing on this machine's disk
    response = owner.get(f"/mes-demandes/{case_id}/pieces/{attachments[0].id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    body = response.get_data()
    assert body.startswith(b"%PDF")
    assert int(response.headers["Content-Length"]) == len(body)
    response.close()
    other = app.test_client()
    sign_in(other, "b@example.org")
    assert other.get(f"/mes-demandes/{case_id}/pieces/{attachments[0].id}").status_code == 404


def test_a_file_missing_from_the_store_is_a_404(tmp_path, example_environ, examples, s3_settings):
    from definitions.scenarios import resolve_dates

    from ..conftest import s3_client

    app = make_app(tmp_path, CITIZENS, **s3_settings)
    procedure, suite = examples["acte-naissance"]
    owner = app.test_client()
    sign_in(owner, "a@example.org")
    case_id = start(owner, "acte-naissance")
    fill(
        owner, procedure, case_id, resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    )
    assert submit(owner, case_id).status_code == 302
    with app.extensions["guichet"].sessions() as session:
        attachment = session.scalars(sa.select(Attachment)).first()
    s3_client(s3_settings).delete_object(
        Bucket=s3_settings["S3_BUCKET"], Key=f"pieces/{attachment.id}"
    )
    assert owner.get(f"/mes-demandes/{case_id}/pieces/{attachment.id}").status_code == 404
