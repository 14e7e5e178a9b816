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


def test_an_object_store_out_of_reach_is_a_503_page_and_nothing_is_kept(
    tmp_path, example_environ, examples, s3_settings
):
    """The page with a file is refused whole: the draft keeps no row for a file not stored."""
    import socket

    from .portal_helpers import csrf, post_data

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(
        tmp_path, CITIZENS, **{**s3_settings, "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    )
    procedure, suite = examples["acte-naissance"]
    answers = resolve_answers(suite)
    owner = app.test_client()
    sign_in(owner, "a@example.org")
    case_id = start(owner, "acte-naissance")
    url = owner.get(f"/brouillons/{case_id}").headers["Location"]
    refused = None
    for _ in range(len(procedure.form.pages)):
        page = next(p for p in procedure.form.pages if p.id == url.rsplit("/", 1)[-1])
        data = {
            **post_data(procedure, page, answers),
            "csrf_token": csrf(owner, url),
            "nav": "next",
        }
        response = owner.post(url, data=data, content_type="multipart/form-data")
        if any(f.type == "file" for f in page.fields if f.id in answers):
            refused = response
            break
        url = response.headers["Location"]
    assert refused is not None, "the procedure asks for a file"
    assert refused.status_code == 503
    assert "Réessayez dans quelques minutes" in refused.get_data(as_text=True)
    with app.extensions["guichet"].sessions() as session:
        assert session.scalars(sa.select(Attachment)).all() == []


def resolve_answers(suite) -> dict:
    from definitions.scenarios import resolve_dates

    return resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
