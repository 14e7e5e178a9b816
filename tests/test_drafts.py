"""Drafts in the portal: "save and finish later" keeps every valid answer, a procedure's
page offers to resume a draft, and a draft's owner deletes it (answers and files)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from definitions.folders import check_paths
from definitions.scenarios import resolve_dates
from engine.models import Attachment, Case

from .conftest import EXAMPLE_ENVIRON, EXAMPLES
from .portal_helpers import PASSWORD, csrf, make_app, post_data


@pytest.fixture
def app(tmp_path, example_environ):
    return make_app(tmp_path, {"a@example.org": ("citizen", ()), "b@example.org": ("citizen", ())})


@pytest.fixture
def examples():
    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    return {p.slug: (p, result.suites[(p.slug, p.version)]) for p in result.procedures}


def sign_in(client, email: str) -> None:
    response = client.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/connexion")},
    )
    assert response.status_code == 302


def start(client, slug: str, **extra) -> int:
    response = client.post(
        f"/demarches/{slug}/commencer",
        data={"csrf_token": csrf(client, f"/demarches/{slug}"), **extra},
    )
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].split("/")[2])


def case_of(app, case_id: int) -> Case | None:
    with app.extensions["guichet"].sessions() as session:
        return session.get(Case, case_id)


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def save_later(client, case_id: int, page_id: str, data: dict):
    url = f"/brouillons/{case_id}/{page_id}"
    return client.post(
        url,
        data={**data, "nav": "save", "csrf_token": csrf(client, url)},
        content_type="multipart/form-data",
    )


# -- save and finish later ----------------------------------------------------------------


def test_save_later_keeps_the_valid_answers_and_names_the_invalid_ones(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    response = save_later(
        client,
        case_id,
        "demandeur",
        {
            "nom": "Martin",
            # "prenoms" and "lien" are required and left empty: they do not block saving
            "courriel": "pas-une-adresse",
            "telephone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302
    answers = case_of(app, case_id).answers
    assert answers["nom"] == "Martin"
    assert answers["telephone"] == "+33612345678"
    assert "courriel" not in answers  # invalid: not stored (not even the prefilled address)
    assert "prenoms" not in answers and "lien" not in answers
    back = client.get(response.headers["Location"])
    page = text_of(back)
    # the message names the invalid field by its label, and only it
    assert "Vos réponses ont été enregistrées, sauf\u00a0: Courriel (saisissez une adresse" in page
    assert "Vos prénoms (" not in page and "Vous êtes (" not in page
    # coming back, the page shows what was kept
    again = client.get(f"/brouillons/{case_id}/demandeur").get_data(as_text=True)
    assert re.search(r'name="nom"[^>]*value="Martin"|value="Martin"[^>]*name="nom"', again)
    assert "06 12 34 56 78" in again or "+33612345678" in again or "+33 6 12 34 56 78" in again


def test_save_later_with_everything_valid_names_nothing(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    response = save_later(client, case_id, "demandeur", {"nom": "Martin"})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "sauf" not in page
    assert "Votre brouillon est enregistré. Vous pourrez le reprendre" in page
    assert case_of(app, case_id).answers["nom"] == "Martin"


def test_save_later_keeps_the_valid_values_of_a_group(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "inscription-periscolaire")
    too_young = (dt.date.today() - dt.timedelta(days=100)).isoformat()
    response = save_later(
        client,
        case_id,
        "page_enfants",
        {
            "enfants-0-prenom_enfant": "Léa",
            "enfants-0-ecole": "ecole_tilleuls",
            "enfants-1-prenom_enfant": "Noé",
            "enfants-1-date_naissance_enfant": too_young,
        },
    )
    assert response.status_code == 302
    items = case_of(app, case_id).answers["enfants"]
    assert items == [{"prenom_enfant": "Léa", "ecole": "ecole_tilleuls"}, {"prenom_enfant": "Noé"}]
    page = text_of(client.get(response.headers["Location"]))
    assert "sauf\u00a0: Enfant 2 – Date de naissance (" in page
    assert "Enfant 1 – Nom (" not in page  # missing, not invalid


def test_next_still_refuses_an_invalid_page(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    url = f"/brouillons/{case_id}/demandeur"
    response = client.post(
        url,
        data={"nom": "Martin", "courriel": "x", "nav": "next", "csrf_token": csrf(client, url)},
    )
    assert response.status_code == 422
    assert "nom" not in case_of(app, case_id).answers


# -- resume or start again ------------------------------------------------------------------


def test_starting_again_offers_to_resume_the_draft(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    first = start(client, "acte-naissance")
    page = text_of(client.get("/demarches/acte-naissance"))
    with app.extensions["guichet"].sessions() as session:
        created = session.get(Case, first).created_at
    from babel.dates import format_date

    day = format_date(created, "long", locale="fr")
    assert f"Reprendre le brouillon du {day}" in page
    assert re.search(r"\d{1,2} [a-zéû]+ \d{4}", day)  # "3 décembre 2026"
    assert "Commencer une nouvelle demande" in page
    assert f'href="/brouillons/{first}"' in client.get("/demarches/acte-naissance").get_data(
        as_text=True
    )
    # "Start" without choosing lands on the offer; "start a new one" makes a second draft
    response = client.post(
        "/demarches/acte-naissance/commencer",
        data={"csrf_token": csrf(client, "/demarches/acte-naissance")},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/demarches/acte-naissance")
    second = start(client, "acte-naissance", new="yes")
    assert second != first
    page = text_of(client.get("/demarches/acte-naissance"))
    assert "Vous avez 2 brouillons de cette démarche" in page
    # two drafts of the same day are told apart by their time
    assert page.count(f"Reprendre le brouillon du {day} à ") == 2


def test_no_offer_without_a_draft_nor_for_someone_else(app):
    owner, other, anonymous = app.test_client(), app.test_client(), app.test_client()
    sign_in(owner, "a@example.org")
    sign_in(other, "b@example.org")
    start(owner, "acte-naissance")
    for client in (other, anonymous):
        page = text_of(client.get("/demarches/acte-naissance"))
        assert "Reprendre le brouillon" not in page
        assert "Commencer" in page
    # a draft of another procedure is not offered either
    assert "Reprendre le brouillon" not in text_of(owner.get("/demarches/signalement-voirie"))


def test_an_anonymous_draft_is_offered_to_its_browser_only(app):
    client, other = app.test_client(), app.test_client()
    case_id = start(client, "signalement-voirie")
    page = client.get("/demarches/signalement-voirie").get_data(as_text=True)
    assert f'href="/brouillons/{case_id}"' in page
    assert "Reprendre le brouillon du" in text_of(client.get("/demarches/signalement-voirie"))
    assert "Reprendre le brouillon" not in text_of(other.get("/demarches/signalement-voirie"))
    assert start(other, "signalement-voirie") != case_id


# -- deleting a draft --------------------------------------------------------------------------


def _draft_with_a_file(app, examples, client) -> tuple[int, list[str]]:
    """A signed-in citizen's draft of acte-naissance filled up to its file page."""
    procedure, suite = examples["acte-naissance"]
    case_id = start(client, "acte-naissance")
    answers = resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    for page in procedure.form.pages:
        url = f"/brouillons/{case_id}/{page.id}"
        response = client.post(
            url,
            data={
                **post_data(procedure, page, answers),
                "nav": "next",
                "csrf_token": csrf(client, url),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, page.id
        if any(f.type == "file" for f in page.fields):
            break
    with app.extensions["guichet"].sessions() as session:
        ids = list(session.scalars(sa.select(Attachment.id).where(Attachment.case_id == case_id)))
    assert ids, "the draft holds no file"
    return case_id, ids


def test_the_owner_deletes_a_draft_with_its_files(app, examples):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id, files = _draft_with_a_file(app, examples, client)
    uploads = app.extensions["guichet"].uploads
    assert all((uploads / f).exists() for f in files)
    # listed in the personal space, with a link to the confirmation
    listing = client.get("/mes-demandes").get_data(as_text=True)
    assert f"/brouillons/{case_id}/supprimer?from=space" in listing
    confirm = client.get(f"/brouillons/{case_id}/supprimer?from=space")
    assert confirm.status_code == 200
    body = text_of(confirm)
    assert "Supprimer ce brouillon\u00a0?" in body and "Cette action est définitive" in body
    assert 'name="csrf_token"' in confirm.get_data(as_text=True)
    # nothing is deleted by showing the confirmation, nor by a POST without its token
    assert case_of(app, case_id) is not None
    assert client.post(f"/brouillons/{case_id}/supprimer").status_code == 400
    assert case_of(app, case_id) is not None
    response = client.post(
        f"/brouillons/{case_id}/supprimer",
        data={"csrf_token": csrf(client, f"/brouillons/{case_id}/supprimer"), "from": "space"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/mes-demandes")
    assert case_of(app, case_id) is None
    with app.extensions["guichet"].sessions() as session:
        left = session.scalar(
            sa.select(sa.func.count()).select_from(Attachment).where(Attachment.id.in_(files))
        )
    assert left == 0
    assert not any((uploads / f).exists() for f in files)
    assert "Votre brouillon a été supprimé." in text_of(client.get(response.headers["Location"]))
    assert client.get(f"/brouillons/{case_id}/demandeur").status_code == 404


def test_a_filing_page_links_to_the_deletion(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "acte-naissance")
    page = client.get(f"/brouillons/{case_id}/demandeur").get_data(as_text=True)
    assert f'href="/brouillons/{case_id}/supprimer"' in page


def test_nobody_else_deletes_a_draft(app, examples):
    owner, other, anonymous = app.test_client(), app.test_client(), app.test_client()
    sign_in(owner, "a@example.org")
    sign_in(other, "b@example.org")
    case_id, files = _draft_with_a_file(app, examples, owner)
    for client in (other, anonymous):
        assert client.get(f"/brouillons/{case_id}/supprimer").status_code == 404
        token = csrf(client, "/demarches/acte-naissance")
        response = client.post(f"/brouillons/{case_id}/supprimer", data={"csrf_token": token})
        assert response.status_code == 404
    assert case_of(app, case_id) is not None
    uploads = app.extensions["guichet"].uploads
    assert all((uploads / f).exists() for f in files)
    # a submitted request is no draft: it cannot be deleted
    assert anonymous.get("/brouillons/999999/supprimer").status_code == 404


def test_an_anonymous_draft_is_deleted_from_its_browser(app):
    client, other = app.test_client(), app.test_client()
    case_id = start(client, "signalement-voirie")
    token = csrf(other, "/demarches/acte-naissance")
    assert (
        other.post(f"/brouillons/{case_id}/supprimer", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.get(f"/brouillons/{case_id}/supprimer?from=start").status_code == 200
    response = client.post(
        f"/brouillons/{case_id}/supprimer",
        data={"csrf_token": csrf(client, f"/brouillons/{case_id}/supprimer"), "from": "start"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/demarches/signalement-voirie")
    assert case_of(app, case_id) is None
    assert "Reprendre le brouillon" not in text_of(client.get("/demarches/signalement-voirie"))


def test_a_submitted_request_cannot_be_deleted(app, examples):
    from .portal_helpers import fill

    procedure, suite = examples["signalement-voirie"]
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    fill(
        client, procedure, case_id, resolve_dates(dict(suite.scenarios[0].answers), dt.date.today())
    )
    token = csrf(client, f"/brouillons/{case_id}/verification")
    assert (
        client.post(
            f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": "k"}
        ).status_code
        == 302
    )
    assert client.get(f"/brouillons/{case_id}/supprimer").status_code == 404
    response = client.post(f"/brouillons/{case_id}/supprimer", data={"csrf_token": token})
    assert response.status_code == 404
    assert case_of(app, case_id) is not None


def test_the_resume_link_carries_nothing_of_the_tracking_token(app):
    from engine.models import OutboxMessage

    client = app.test_client()
    case_id = start(client, "acte-naissance")
    response = save_later(
        client, case_id, "demandeur", {"nom": "Martin", "courriel": "martin@example.org"}
    )
    assert response.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        texts = [m.payload.get("text", "") for m in session.scalars(sa.select(OutboxMessage))]
    (link,) = [
        found for t in texts for found in re.findall(r"https?://\S*/brouillons/reprendre/\S+", t)
    ]
    token = case_of(app, case_id).tracking_token
    payload = link.rsplit("/", 1)[1].split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert token[:6] not in decoded and token[:6] not in link
    # the link opens the draft from any other browser
    other = app.test_client()
    opened = other.get(link.split("localhost", 1)[1])
    assert opened.status_code == 302
    assert f"/brouillons/{case_id}" in opened.headers["Location"]
    # and a link forged with a guessed proof opens nothing
    forged = link.rsplit("/", 1)[0] + "/" + "x" + link.rsplit("/", 1)[1][1:]
    assert app.test_client().get(forged.split("localhost", 1)[1]).status_code == 404
