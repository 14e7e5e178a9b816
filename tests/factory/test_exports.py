"""The exports: XLSX and CSV as a French spreadsheet opens them, headers as labels, states in
words, one column per field and per address part; only the cases the agent may see; in
constant memory however many rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from engine import cases
from engine.models import Case
from engine.workflow import Actor
from factory.backoffice.export_columns import Column, field_columns
from factory.backoffice.exports import case_rows, csv_chunks, xlsx_chunks

from ..engine_helpers import BIRTH_ANSWERS
from .portal_helpers import BACK_OFFICE, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORDS = {
    "street": "voie",
    "postcode": "code postal",
    "city": "commune",
    "country": "pays",
    "items": "nombre",
    "files": "nombre de fichiers",
}


@pytest.fixture
def people():
    return BACK_OFFICE


@pytest.fixture
def births(app):
    """Two birth certificate requests: one of état civil, one sent to voirie (with what a
    spreadsheet would read as a formula); their references."""
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        version = state.runtime.catalogue.current(session, "acte-naissance")
        filed = [
            cases.submit_answers(
                session, state.runtime, version, dict(BIRTH_ANSWERS, **extra),
                Actor("citizen"), state.clock,
            )  # fmt: skip
            for extra in ({"telephone": "+33612345678"}, {"nom": "=HYPERLINK(1)"})
        ]
        filed[1].department = "voirie"  # as if its workflow had sent it elsewhere
        return [c.reference for c in filed], filed[0].submitted_at


def agent(app, email="ec@example.org"):
    client = app.test_client()
    sign_in(client, email)
    return client


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: spreadsheets read accents
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(body: bytes):
    sheet = load_workbook(io.BytesIO(body)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_only_staff_export_and_downloads_are_attachments_never_stored(app, births):
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    for url in ("/agents/export.csv", "/agents/export.xlsx?procedure=acte-naissance"):
        assert citizen.get(url).status_code == 404
        assert app.test_client().get(url).status_code == 302
        response = agent(app).get(url)
        assert response.status_code == 200 and response.is_streamed
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert response.headers["Cache-Control"] == "no-store"
        response.close()
    ec = agent(app)
    assert ec.get("/agents/export.xlsx?procedure=nothing-like-it").status_code == 404
    assert ec.get("/agents/export.csv?departement=voirie").status_code == 404


def test_the_xlsx_export_reads_back_in_french(app, births):
    references, filed_at = births
    response = agent(app).get("/agents/export.xlsx?procedure=acte-naissance")
    assert response.mimetype == XLSX
    sheet, rows = read_xlsx(response.get_data())
    header, *lines = rows
    assert [line[0] for line in lines] == [references[0]]  # not voirie's case
    row = dict(zip(header, lines[0], strict=True))
    assert header[:4] == ["Référence", "Démarche", "Version", "Statut"]
    assert row["Démarche"] == "Demande d'acte de naissance"
    assert row["Statut"] == "Reçue" and row["Service"] == "État civil"
    assert row["Canal"] == "En ligne" and row["Close le"] is None
    # dates as date cells, in the site's time zone, with a French format
    assert isinstance(row["Déposée le"], dt.datetime)
    local = filed_at.astimezone(dt.timezone(dt.timedelta(hours=1)))  # Paris in winter…
    assert abs(row["Déposée le"] - local.replace(tzinfo=None)) <= dt.timedelta(hours=1)
    assert row["Date de naissance"] == dt.datetime(1990, 4, 2)
    cell = sheet.cell(row=2, column=header.index("Date de naissance") + 1)
    assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    # numbers as numbers; choices, phone numbers and countries in words
    assert row["Nombre d'exemplaires (exemplaire(s))"] == 1
    assert row["Vous êtes"] == "La personne concernée par l'acte"
    assert row["Téléphone"] == "06 12 34 56 78"
    # one column per address part; files counted
    assert row["Adresse d'envoi — voie"] == "8 rue des Écoles"
    assert row["Adresse d'envoi — code postal"] == "41000"
    assert row["Adresse d'envoi — commune"] == "Valbois-sur-Loire"
    assert row["Adresse d'envoi — pays"] == "France"
    assert row["Votre pièce d'identité — nombre de fichiers"] == 1
    assert not [h for h in header if h in BIRTH_ANSWERS]  # labels, never ids
    other = read_xlsx(
        agent(app, "voirie@example.org").get("/agents/export.xlsx").get_data()
    )[1]
    assert [line[0] for line in other[1:]] == [references[1]]
    assert other[0][-1] == "Réponses"  # every procedure: the answers on one line, labelled
    assert other[1][-1].startswith("Votre nom : =HYPERLINK(1) ; Vos prénoms : Léa Camille")


def test_the_csv_export_has_semicolons_labels_and_french_dates(app, births):
    references, filed_at = births
    body = agent(app).get("/agents/export.csv?procedure=acte-naissance").get_data()
    header, *lines = read_csv(body)
    assert len(lines) == 1
    row = dict(zip(header, lines[0], strict=True))
    assert row["Référence"] == references[0] and row["Statut"] == "Reçue"
    assert row["Date de naissance"] == "02/04/1990"
    assert row["Déposée le"].startswith(filed_at.astimezone(dt.UTC).strftime("%d/%m/%Y")[:6])
    assert row["Adresse d'envoi — pays"] == "France"
    other = read_csv(
        agent(app, "voirie@example.org").get("/agents/export.csv?procedure=acte-naissance")
        .get_data()
    )  # fmt: skip
    assert dict(zip(other[0], other[1], strict=True))["Votre nom"] == "'=HYPERLINK(1)"


def test_the_export_follows_the_state_filter(app, births):
    ec = agent(app)
    assert len(read_csv(ec.get("/agents/export.csv?etat=recue").get_data())) == 2
    assert len(read_csv(ec.get("/agents/export.csv?etat=delivree").get_data())) == 1


def test_groups_give_their_item_count_and_items_joined_and_amounts_stay_numbers(examples):
    school, _ = examples["inscription-periscolaire"]
    group = school.fields["enfants"]
    columns = field_columns([group], "fr", WORDS)
    first = group.fields[0]
    assert [c.header for c in columns][:2] == [
        "Enfants à inscrire — nombre",
        f"Enfants à inscrire — {first.label.get('fr')}",
    ]
    row = {"answers": {"enfants": [{first.id: "Léo"}, {first.id: "Zoé"}]}}
    assert columns[0].value(row) == 2 and columns[1].value(row) == "Léo | Zoé"
    bike, _ = examples["aide-velo-electrique"]
    price = field_columns([bike.fields["prix_achat"]], "fr", WORDS)[0]
    assert price.kind == "amount" and price.header == "Prix d'achat TTC (€)"
    assert float(price.value({"answers": {"prix_achat": 1250.5}})) == 1250.5
    name = Column("Nom", lambda r: r["nom"])
    body = b"".join(
        xlsx_chunks([price, name], iter([{"answers": {"prix_achat": 1250.5}, "nom": "Lé\x0ba"}]))
    )
    sheet, rows = read_xlsx(body)
    assert rows[1] == [1250.5, "Léa"]  # a control character a workbook cannot hold is dropped
    assert "€" in sheet.cell(row=2, column=1).number_format


def _insert(sessions, version_id: int, number: int, start: int) -> None:
    now = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with sessions() as session, session.begin():
        session.execute(
            sa.insert(Case),
            [
                {
                    "procedure": "acte-naissance",
                    "version_id": version_id,
                    "reference": f"acte-naissance-2026-{start + n:07d}",
                    "state": "recue",
                    "department": "etat-civil",
                    "channel": "online",
                    "answers": dict(BIRTH_ANSWERS, nom=f"Martin {start + n}"),
                    "submitted_at": now,
                    "created_at": now,
                }
                for n in range(number)
            ],
        )


def _peak(chunks) -> tuple[int, int]:
    tracemalloc.start()
    size = sum(len(chunk) for chunk in chunks)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, size


def test_exports_stream_in_constant_memory(sessions, published, runtime):
    """Ten times the rows, about the same memory: nothing grows with the rows."""
    version = published["acte-naissance"]
    with sessions() as session:
        fields = list(runtime.catalogue.compiled(session, version.id).procedure.form.fields)
    columns = [Column("Référence", lambda r: r["reference"])] + field_columns(fields, "fr", WORDS)

    def measure(writer):
        return _peak(writer(columns, case_rows(sessions, ["etat-civil"], "acte-naissance")))

    _insert(sessions, version.id, 1_000, 0)
    measure(csv_chunks)  # warm: statements compiled, modules imported
    small_csv, small_size = measure(csv_chunks)
    small_xlsx, _ = measure(xlsx_chunks)
    _insert(sessions, version.id, 9_000, 1_000)
    large_csv, large_size = measure(csv_chunks)
    large_xlsx, _ = measure(xlsx_chunks)
    assert large_size > 9 * small_size  # ten times the rows went through
    assert large_csv < 2 * small_csv, (small_csv, large_csv)
    assert large_xlsx < 2 * small_xlsx, (small_xlsx, large_xlsx)
