"""The citizen portal over HTTP: filing, receipts, access to cases, CSRF, uploads."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from definitions.scenarios import resolve_dates
from engine.models import Attachment, Case, Notification, OutboxMessage
from factory import create_app

from ..conftest import EXAMPLES
from .portal_helpers import PASSWORD, PDF, csrf, fill, sign_in, start, submit


def count(app, model) -> int:
    with app.extensions["guichet"].sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_catalogue_and_search(app):
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="card"') == 6
    found = client.get("/?q=naissance").get_data(as_text=True)
    assert found.count('class="card"') == 1 and "acte-naissance" in found


def test_security_headers(app):
    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "slug",
    [
        "acte-naissance",
        "signalement-voirie",
        "inscription-periscolaire",
        "subvention-association",
        "occupation-domaine-public",
        "aide-velo-electrique",
    ],
)
def test_every_example_can_be_filed(app, examples, slug):
    procedure, suite = examples[slug]
    client = app.test_client()
    if procedure.login != "none":
        sign_in(client, "a@example.org")
    case_id = start(client, slug)
    answers = resolve_dates(
        dict(
            suite.scenarios[0].answers
            if not suite.scenarios[0].expect_errors
            else next(s for s in suite.scenarios if not s.expect_errors).answers
        ),
        dt.date.today(),
    )
    fill(client, procedure, case_id, answers)
    response = submit(client, case_id)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.extensions["guichet"].sessions() as session:
        case = session.get(Case, case_id)
        assert case.reference and case.reference in receipt
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.case_id == case_id, Notification.audience == "citizen")
            )
            >= 1
        )
        mails = session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.case_id == case_id, OutboxMessage.kind == "notify"
            )
        ).all()
        assert any(case.reference in (m.payload.get("text") or "") for m in mails)


def test_a_replayed_submit_makes_one_case(app, examples):
    procedure, suite = examples["signalement-voirie"]
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    import datetime as dt

    fill(
        client, procedure, case_id, resolve_dates(dict(suite.scenarios[0].answers), dt.date.today())
    )
    token = csrf(client, f"/brouillons/{case_id}/verification")
    first = client.post(
        f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": "same"}
    )
    second = client.post(
        f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": "same"}
    )
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.extensions["guichet"].sessions() as session:
        submitted = session.scalars(sa.select(Case).where(Case.submitted_at.is_not(None))).all()
        assert len(submitted) == 1


def test_a_post_without_csrf_token_changes_nothing(app):
    client = app.test_client()
    response = client.post("/demarches/acte-naissance/commencer")
    assert response.status_code == 400
    assert count(app, Case) == 0
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    response = client.post(
        f"/brouillons/{case_id}/demandeur", data={"nom": "Pirate", "nav": "next"}
    )
    assert response.status_code == 400
    with app.extensions["guichet"].sessions() as session:
        assert "nom" not in session.get(Case, case_id).answers


def test_citizens_never_reach_each_others_cases(app, examples):
    owner, other, anonymous = app.test_client(), app.test_client(), app.test_client()
    sign_in(owner, "a@example.org")
    sign_in(other, "b@example.org")
    case_id = start(owner, "acte-naissance")
    for client in (other, anonymous):
        assert client.get(f"/brouillons/{case_id}").status_code in (404, 302)
        assert client.get(f"/brouillons/{case_id}/demandeur").status_code == 404
        assert client.get(f"/brouillons/{case_id}/verification").status_code == 404
        assert client.get(f"/demandes/{case_id}/recu").status_code == 404
    assert other.get(f"/mes-demandes/{case_id}").status_code == 404
    token = csrf(other, "/")
    assert other.post(f"/brouillons/{case_id}/envoi", data={"csrf_token": token}).status_code == 404
    assert anonymous.get("/suivi/not-a-real-token").status_code == 404
    # an anonymous draft is its browser's only
    stranger_case = start(anonymous, "signalement-voirie")
    assert other.get(f"/brouillons/{stranger_case}/localisation").status_code == 404
    assert anonymous.get(f"/brouillons/{stranger_case}/localisation").status_code == 200


def test_mistyped_and_oversized_uploads_are_refused(app, examples):
    procedure, suite = examples["acte-naissance"]
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    page = next(p for p in procedure.form.pages if any(f.type == "file" for f in p.fields))
    field = next(f for f in page.fields if f.type == "file")
    import datetime as dt

    answers = resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    fill_until = fill.__globals__["post_data"]
    for earlier in procedure.form.pages:
        if earlier.id == page.id:
            break
        url = f"/brouillons/{case_id}/{earlier.id}"
        client.post(
            url,
            data={
                **fill_until(procedure, earlier, answers),
                "nav": "next",
                "csrf_token": csrf(client, url),
            },
            content_type="multipart/form-data",
        )
    url = f"/brouillons/{case_id}/{page.id}"
    data = {**fill_until(procedure, page, answers), "nav": "next", "csrf_token": csrf(client, url)}
    data[field.id] = (io.BytesIO(b"just some text, not a document"), "piece.pdf")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "type" in response.get_data(as_text=True).lower()
    data = {**data, "csrf_token": csrf(client, url)}
    data[field.id] = FileStorage(
        io.BytesIO(PDF + b"0" * (field.max_size or 5_000_000)),
        filename="grosse.pdf",
        content_type="application/pdf",
    )
    # encoded in memory: the test client would spool so large a body to a file it never closes
    boundary, body = encode_multipart(MultiDict(data))
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (413, 422)
    assert count(app, Attachment) == 0
    uploads = list((app.extensions["guichet"].uploads).iterdir())
    assert uploads == []


def test_login_required_procedures_send_to_sign_in(app):
    client = app.test_client()
    response = client.post(
        "/demarches/inscription-periscolaire/commencer",
        data={"csrf_token": csrf(client, "/demarches/inscription-periscolaire")},
    )
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_wrong_password_and_rate_limit(tmp_path, example_environ):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
            "SITE": str(EXAMPLES / "guichet.yaml"),
            "UPLOAD_FOLDER": str(tmp_path / "u"),
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "3 per minute",
        }
    )
    client = app.test_client()
    codes = [
        client.post("/connexion", data={"email": "x@example.org", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_signup_sends_a_confirmation_through_the_outbox(app):
    client = app.test_client()
    response = client.post(
        "/compte/creer",
        data={
            "name": "Léa Martin",
            "email": "lea@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf(client, "/compte/creer"),
        },
    )
    assert response.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        mail = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "notify")).one()
        assert mail.payload["to"] == ["lea@example.org"]
        link = re.search(r"(/compte/confirmer/\S+)", mail.payload["text"]).group(1)
    # cannot sign in before confirming
    response = client.post(
        "/connexion",
        data={
            "email": "lea@example.org",
            "password": PASSWORD,
            "csrf_token": csrf(client, "/connexion"),
        },
    )
    assert response.status_code == 200
    assert client.get(link).status_code == 302
    sign_in_ok = client.post(
        "/connexion",
        data={
            "email": "lea@example.org",
            "password": PASSWORD,
            "csrf_token": csrf(client, "/connexion"),
        },
    )
    assert sign_in_ok.status_code == 302


def test_attachments_are_downloads_of_their_case_only(app, examples):
    procedure, suite = examples["acte-naissance"]
    owner, other = app.test_client(), app.test_client()
    sign_in(owner, "a@example.org")
    sign_in(other, "b@example.org")
    case_id = start(owner, "acte-naissance")
    import datetime as dt

    fill(
        owner, procedure, case_id, resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    )
    assert submit(owner, case_id).status_code == 302
    with app.extensions["guichet"].sessions() as session:
        attachment = session.scalars(sa.select(Attachment)).first()
    url = f"/mes-demandes/{case_id}/pieces/{attachment.id}"
    response = owner.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.data.startswith(b"%PDF")
    response.close()
    assert other.get(url).status_code == 404
    assert other.get(f"/mes-demandes/{case_id}").status_code == 404
    assert app.test_client().get(url).status_code in (302, 404)


def test_an_anonymous_draft_resumes_from_the_mailed_link(app, examples):
    procedure, suite = examples["signalement-voirie"]
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    page = next(p for p in procedure.form.pages if any(f.type == "email" for f in p.fields))
    url = f"/brouillons/{case_id}/{page.id}"
    import datetime as dt

    answers = resolve_dates(dict(suite.scenarios[0].answers), dt.date.today())
    fill_before = fill.__globals__["post_data"]
    fill(client, procedure, case_id, answers)
    response = client.post(
        url,
        data={
            **fill_before(procedure, page, answers),
            "nav": "save",
            "csrf_token": csrf(client, url),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        mails = session.scalars(sa.select(OutboxMessage)).all()
    links = [re.search(r"(/brouillons/reprendre/\S+)", m.payload["text"]) for m in mails]
    links = [m.group(1) for m in links if m]
    assert links, "no resume link was mailed"
    elsewhere = app.test_client()
    assert elsewhere.get(f"/brouillons/{case_id}").status_code == 404
    assert elsewhere.get(links[0]).status_code == 302
    assert elsewhere.get(f"/brouillons/{case_id}").status_code == 302
    assert elsewhere.get("/brouillons/reprendre/forged-token").status_code == 404


def test_the_review_page_shows_an_address_on_lines(app, examples):
    """As on an envelope: the street, then the postcode and the town, each on its line; a
    country other than France by name."""
    procedure, suite = examples["acte-naissance"]
    client = app.test_client()
    case_id = start(client, "acte-naissance")
    answers = resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    answers["adresse_envoi"] = {
        "street": "8 rue des Écoles", "postcode": "1000", "city": "Bruxelles", "country": "BE"
    }
    review = client.get(fill(client, procedure, case_id, answers)).get_data(as_text=True)
    assert "<dd>8 rue des Écoles<br>1000 Bruxelles<br>Belgique\n" in review
