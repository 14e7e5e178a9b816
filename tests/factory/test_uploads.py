"""Uploaded files: types read from the content, safe names, limits, files kept across
validation errors, replaced files deleted, and abandoned anonymous drafts purged."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from werkzeug.datastructures import FileStorage, MultiDict

from definitions.loader import load
from definitions.procedures import read_procedure
from engine.clock import FrozenClock
from engine.drafts import purge_abandoned
from engine.models import Attachment, Case
from renderers import page_form
from renderers.file_content import inspect
from renderers.file_names import download_name
from renderers.i18n import load_translations

from .portal_helpers import PDF, PNG, csrf, make_app

FRENCH = load_translations("fr")
TODAY = dt.date(2026, 3, 2)

PROCEDURE = """
procedure: files
version: 1
title: Des fichiers
department: accueil
form:
  pages:
    - id: one
      title: Page un
      fields:
        - {id: piece, type: file, label: Pièce}
        - {id: photo, type: file, label: Photo, accept: [image/png]}
workflow:
  initial: recue
  states:
    - {id: recue, label: Reçue}
    - {id: close, label: Close, final: true}
  transitions:
    - {id: clore, from: recue, to: close, by: agent, label: Clore}
"""

SHELL = b"#!/bin/sh\nrm -rf ~\n"
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
HTA = b'<HTA:APPLICATION ID="x">\n<script language="VBScript">CreateObject("WScript.Shell")'
JS = b"var shell = new ActiveXObject('WScript.Shell'); shell.Run('calc');\n"
BAT = b"@echo off\r\ndel /q C:\\*\r\n"
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 120
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 120


@pytest.fixture(scope="module")
def procedure():
    document, problems = load(PROCEDURE, "files.yaml")
    assert problems == []
    procedure, problems = read_procedure(document)
    assert problems == [], problems
    return procedure


def posted(procedure, **files):
    cls = page_form(procedure, "one")
    data = MultiDict(
        [
            (name, FileStorage(io.BytesIO(content), filename=filename))
            for name, (content, filename) in files.items()
        ]
    )
    form = cls(data, today=TODAY, translations=FRENCH)
    return form, form.validate()


# -- types from the content, and names -----------------------------------------------------


@pytest.mark.parametrize(
    "content, filename",
    [
        (PE, "setup.exe"),
        (PE, "photo.png"),
        (ELF, "outil"),
        (MACHO, "app"),
        (SHELL, "lisez-moi.txt"),
        (HTML, "evil.html"),
        (HTML, "page.txt"),
        (SVG, "logo.svg"),
        (HTA, "facture.hta"),
        (JS, "script.js"),
        (JS, "photo.png.js"),
        (BAT, "lancer.bat"),
        (BAT, "lancer.cmd"),
        (b"Get-ChildItem\n", "a.ps1"),
        (b'MsgBox "x"\n', "a.vbs"),
    ],
)
def test_programs_and_scripts_are_refused_whatever_accept_says(procedure, content, filename):
    form, valid = posted(procedure, piece=(content, filename))  # "piece" accepts anything
    assert not valid
    assert form["piece"].errors == [
        "Ce type de fichier ne peut pas être transmis : les programmes, scripts et pages web "
        "sont refusés. Envoyez un document ou une photo."
    ]


def test_a_pdf_starts_with_its_header_and_ends_as_a_pdf(procedure):
    assert inspect(FileStorage(io.BytesIO(PDF), filename="a.pdf"))[0] == "application/pdf"
    # "%PDF-" anywhere in the first kilobyte is not a PDF
    disguised = b"junk" * 10 + PDF
    assert inspect(FileStorage(io.BytesIO(disguised), filename="a.pdf"))[0] != "application/pdf"
    form, valid = posted(procedure, piece=(HTML.replace(b"<html>", b"<html>" + PDF), "a.pdf"))
    assert not valid and "programmes" in form["piece"].errors[0]
    # a PDF cut short (no %%EOF at its end) is refused
    form, valid = posted(procedure, piece=(PDF[:40], "coupé.pdf"))
    assert not valid
    assert form["piece"].errors == [
        "Ce fichier PDF est endommagé ou incomplet : enregistrez-le de nouveau, puis envoyez-le."
    ]
    # a large PDF is judged by its real end
    big = PDF.replace(b"trailer", b"%" + b"x" * 20000 + b"\ntrailer")
    form, valid = posted(procedure, piece=(big, "gros.pdf"))
    assert valid, form.errors


def test_files_of_known_types_are_accepted(procedure):
    form, valid = posted(procedure, piece=(PDF, "a.pdf"), photo=(PNG, "evil.html"))
    assert valid, form.errors
    assert form["photo"].detected == ["image/png"]
    form, valid = posted(procedure, piece=(b"Bonjour,\nvoici ma lettre.\n", "lettre.txt"))
    assert valid, form.errors


@pytest.mark.parametrize(
    "original, mime, expected",
    [
        ("photo.png.exe", "image/png", "photo.png"),
        ("evil.html", "image/png", "evil.png"),
        ("setup.exe", "application/pdf", "setup.pdf"),
        ("photo.JPEG", "image/jpeg", "photo.jpeg"),
        ("rapport.2024.final.pdf", "application/pdf", "rapport.2024.final.pdf"),
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("C:\\Users\\léa\\Pièce d'identité.pdf", "application/pdf", "Pièce d'identité.pdf"),
        ("fac\x00tu\x1bre\n.pdf", "application/pdf", "facture.pdf"),
        ('a<b>:c|d?"e*.png', "image/png", "a_b__c_d__e.png"),
        ("...", "application/pdf", "fichier.pdf"),
        ("", None, "fichier.bin"),
        ("CON.pdf", "application/pdf", "CON_.pdf"),
        ("e\u0301te\u0301.png", "image/png", "\u00e9t\u00e9.png"),
    ],
)
def test_download_names_keep_the_stem_and_take_the_detected_type(original, mime, expected):
    assert download_name(original, mime) == expected


def test_download_names_are_bounded():
    name = download_name("é" * 500 + ".pdf", "application/pdf")
    assert name == "é" * 100 + ".pdf"


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def people():
    return {}


@pytest.fixture
def app_config():
    return {"MAX_FILES_PER_FIELD": 10}


def start(client, slug: str) -> int:
    response = client.post(
        f"/demarches/{slug}/commencer",
        data={"csrf_token": csrf(client, f"/demarches/{slug}"), "new": "yes"},
    )
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def attachments(app, case_id: int | None = None) -> list[Attachment]:
    with app.extensions["guichet"].sessions() as session:
        query = sa.select(Attachment).order_by(Attachment.created_at, Attachment.id)
        if case_id is not None:
            query = query.where(Attachment.case_id == case_id)
        return list(session.scalars(query))


def answers(app, case_id: int) -> dict:
    with app.extensions["guichet"].sessions() as session:
        return dict(session.get(Case, case_id).answers)


def on_disk(app) -> set[str]:
    return {p.name for p in app.extensions["guichet"].uploads.iterdir()}


def post(client, url: str, data: dict, **files):
    items = [(k, v) for k, v in data.items()] + [("csrf_token", csrf(client, url))]
    for name, value in files.items():
        for content, filename in value if isinstance(value, list) else [value]:
            items.append((name, (io.BytesIO(content), filename)))
    return client.post(url, data=MultiDict(items), content_type="multipart/form-data")


VOIRIE = {
    "nature": "nid_de_poule",
    "description": "Un trou profond devant le numéro 12.",
    "nav": "next",
}


def test_a_safe_name_is_stored_and_served(app):
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    response = post(client, url, VOIRIE, photos=[(PNG, "photo.png.exe"), (PNG, "../evil.html")])
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    stored = attachments(app, case_id)
    assert [a.filename for a in stored] == ["photo.png", "evil.png"]
    assert all(a.content_type == "image/png" for a in stored)
    assert on_disk(app) == {a.id for a in stored}  # opaque names on disk
    assert all(re.fullmatch(r"[0-9a-f-]{36}", a.id) for a in stored)


def test_an_executable_is_refused_over_http(app):
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    response = post(client, url, VOIRIE, photos=[(PE, "setup.exe")])
    assert response.status_code == 422
    assert "programmes, scripts et pages web sont refusés" in response.get_data(as_text=True)
    assert attachments(app) == [] and on_disk(app) == set()


def test_files_per_field_and_per_draft_are_bounded(app, tmp_path, example_environ):
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    response = post(client, url, VOIRIE, photos=[(PNG, f"p{i}.png") for i in range(300)])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "au plus 10 fichiers ici (vous en avez choisi 300)" in page
    assert attachments(app) == [] and on_disk(app) == set()
    response = post(client, url, VOIRIE, photos=[(PNG, f"p{i}.png") for i in range(8)])
    assert response.status_code == 302
    assert len(answers(app, case_id)["photos"]) == 8
    response = post(client, url, VOIRIE, photos=[(PNG, f"q{i}.png") for i in range(2)])
    assert response.status_code == 302  # several files are added to the ones sent
    assert len(answers(app, case_id)["photos"]) == 10
    response = post(client, url, VOIRIE, photos=[(PNG, "r.png")])
    assert response.status_code == 422
    assert "(vous en avez choisi 11)" in response.get_data(as_text=True)
    assert len(attachments(app, case_id)) == 10 and len(on_disk(app)) == 10
    # per draft (here 3 in all)
    (tmp_path / "small").mkdir()
    small = make_app(tmp_path / "small", {}, MAX_FILES_PER_DRAFT=3)
    client = small.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    assert post(client, url, VOIRIE, photos=[(PNG, "a.png"), (PNG, "b.png")]).status_code == 302
    response = post(client, url, VOIRIE, photos=[(PNG, "c.png"), (PNG, "d.png")])
    assert response.status_code == 422
    assert "ne peut pas contenir plus de 3 fichiers" in response.get_data(as_text=True)
    assert len(attachments(small, case_id)) == 2 and len(on_disk(small)) == 2


def test_bytes_per_draft_are_bounded(tmp_path, example_environ):
    app = make_app(tmp_path, {}, MAX_BYTES_PER_DRAFT=2000)
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    big = PNG + b"\x00" * 1500
    assert post(client, url, VOIRIE, photos=[(big, "a.png")]).status_code == 302
    response = post(client, url, VOIRIE, photos=[(big, "b.png")])
    assert response.status_code == 422
    assert "ne peuvent pas dépasser 2 ko au total" in response.get_data(as_text=True)
    assert len(attachments(app, case_id)) == 1 and len(on_disk(app)) == 1


VELO = "aide-velo-electrique"


def velo_until_files(client) -> tuple[int, str]:
    """A draft of the bicycle grant, filled up to its page of files."""
    from definitions.folders import check_paths
    from definitions.scenarios import resolve_dates

    from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
    from .portal_helpers import post_data

    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    procedure = next(p for p in result.procedures if p.slug == VELO)
    suite = result.suites[(procedure.slug, procedure.version)]
    scenario = next(s for s in suite.scenarios if not s.expect_errors)
    given = resolve_dates(dict(scenario.answers), dt.date.today())
    case_id = start(client, VELO)
    url = client.get(f"/brouillons/{case_id}").headers["Location"]
    while not url.endswith("/justificatifs"):
        page = next(p for p in procedure.form.pages if p.id == url.rsplit("/", 1)[-1])
        response = client.post(
            url,
            data={**post_data(procedure, page, given), "csrf_token": csrf(client, url)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, url
        url = response.headers["Location"]
    return case_id, url


def test_files_are_kept_when_another_field_fails_then_removed_or_replaced(app):
    client = app.test_client()
    case_id, url = velo_until_files(client)
    good = {"engagement_non_revente": "y", "nav": "next"}
    # a typo in the IBAN: the two files are kept, shown as sent, with their size
    response = post(
        client,
        url,
        {**good, "iban": "FR76 0000 TYPO"},
        facture=(PDF, "facture.pdf"),
        justificatif_domicile=(PNG, "domicile.png"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    kept = answers(app, case_id)
    assert set(kept) >= {"facture", "justificatif_domicile"} and "iban" not in kept
    assert "facture.pdf" in page and "domicile.png" in page
    assert f"{len(PDF)}\u00a0octets" in page or f"{len(PDF)} octets" in page
    assert "Retirer" in page and "Remplacer le fichier" in page
    assert f'value="detach:facture:{kept["facture"]}"' in page
    assert " required" not in page.split('id="facture"', 1)[1].split(">", 1)[0]
    # the IBAN corrected, no file chosen again: the page is saved with the files kept
    response = post(client, url, {**good, "iban": "FR7630006000011234567890189"})
    assert response.status_code == 302, re.findall(r"guichet-error-message[^<]*<[^<]*", "")
    review = client.get(f"/brouillons/{case_id}/verification").get_data(as_text=True)
    assert "facture.pdf" in review and "domicile.png" in review
    # "Retirer" works without JavaScript: the file goes, row and bytes
    first = answers(app, case_id)["facture"]
    response = post(client, url, {"action": f"detach:facture:{first}"})
    assert response.status_code == 200
    assert "facture" not in answers(app, case_id)
    assert first not in on_disk(app) and first not in {a.id for a in attachments(app)}
    # replacing a file deletes the one it replaces
    old = answers(app, case_id)["justificatif_domicile"]
    response = post(
        client,
        url,
        {**good, "iban": "FR7630006000011234567890189"},
        facture=(PDF, "facture-2.pdf"),
        justificatif_domicile=(PDF, "domicile-2.pdf"),
    )
    assert response.status_code == 302
    now = answers(app, case_id)
    assert now["justificatif_domicile"] != old
    assert old not in on_disk(app) and old not in {a.id for a in attachments(app)}
    assert {a.filename for a in attachments(app, case_id)} == {"facture-2.pdf", "domicile-2.pdf"}
    assert on_disk(app) == {a.id for a in attachments(app)}


def test_a_transition_that_fails_stores_no_file(tmp_path, example_environ):
    """A citizen's answer to a request that moved on meanwhile writes no file."""
    from .portal_helpers import PASSWORD

    app = make_app(tmp_path, {"a@example.org": ("citizen", ())})
    client = app.test_client()
    client.post(
        "/connexion",
        data={
            "email": "a@example.org",
            "password": PASSWORD,
            "csrf_token": csrf(client, "/connexion"),
        },
    )
    case_id = start(client, "inscription-periscolaire")
    with app.extensions["guichet"].sessions() as session, session.begin():
        case = session.get(Case, case_id)
        case.submitted_at = dt.datetime.now(dt.UTC)
        case.state, case.reference = "pieces_manquantes", "INS-1"
    url = f"/mes-demandes/{case_id}/actions/completer"
    token = csrf(client, url)
    response = client.post(
        url,
        data={"piece": (io.BytesIO(PDF), "piece.pdf"), "csrf_token": token, "version": "999"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # "the request has moved on"
    assert attachments(app) == [] and on_disk(app) == set()
    response = client.post(
        url,
        data={"piece": (io.BytesIO(PDF), "piece.pdf"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    stored = attachments(app)
    assert [a.filename for a in stored] == ["piece.pdf"] and on_disk(app) == {stored[0].id}


# -- abandoned drafts ----------------------------------------------------------------------------


def test_abandoned_anonymous_drafts_are_purged_with_their_files(app):
    state = app.extensions["guichet"]
    client = app.test_client()
    old_id = start(client, "signalement-voirie")
    url = f"/brouillons/{old_id}/probleme"
    assert post(client, url, VOIRIE, photos=[(PNG, "a.png")]).status_code == 302
    recent_id = start(client, "signalement-voirie")
    url = f"/brouillons/{recent_id}/probleme"
    assert post(client, url, VOIRIE, photos=[(PNG, "b.png")]).status_code == 302
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    with state.sessions() as session, session.begin():
        session.get(Case, old_id).created_at = long_ago
        for row in session.scalars(sa.select(Attachment).where(Attachment.case_id == old_id)):
            row.created_at = long_ago
        old_file = row.id
    with state.sessions() as session, session.begin():
        purged = purge_abandoned(session, FrozenClock(dt.datetime.now(dt.UTC)), days=30)
    assert purged.cases == [old_id] and purged.attachments == [old_file]
    with state.sessions() as session:
        assert session.get(Case, old_id) is None
        assert session.get(Case, recent_id) is not None
        assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def test_the_worker_and_the_command_purge_drafts(app, tmp_path):
    from engine.worker import Worker

    state = app.extensions["guichet"]
    client = app.test_client()
    case_id = start(client, "signalement-voirie")
    url = f"/brouillons/{case_id}/probleme"
    assert post(client, url, VOIRIE, photos=[(PNG, "a.png")]).status_code == 302
    assert len(on_disk(app)) == 1
    later = FrozenClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    worker = Worker(
        state.runtime,
        state.sessions,
        lambda delivery: None,
        clock=later,
        draft_retention_days=30,
        uploads=state.uploads,
        rollup_every=None,
    )
    worker.run_once()
    assert on_disk(app) == set() and attachments(app) == []
    with state.sessions() as session:
        assert session.get(Case, case_id) is None
    # on demand: `guichet drafts purge`
    from factory.cli import main

    other = start(client, "signalement-voirie")
    with state.sessions() as session, session.begin():
        session.get(Case, other).created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    result = CliRunner().invoke(
        main,
        [
            "drafts",
            "purge",
            "--database",
            app.config["DATABASE_URL"],
            "--uploads",
            str(state.uploads),
            "--days",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 abandoned draft deleted" in result.output
    with state.sessions() as session:
        assert session.get(Case, other) is None
