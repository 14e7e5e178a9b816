"""The register of processing activities and the information notices, from the examples'
procedures and site config."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from definitions import register as registers
from definitions.folders import check_paths
from definitions.texts import translations
from factory.cli import main

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES


@pytest.fixture(scope="module")
def checked():
    result = check_paths(
        [EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON, with_tests=False
    )
    assert result.problems == []
    return result


def test_each_procedure_is_one_activity_with_its_legal_data(checked):
    french = translations("fr")
    book = registers.register(checked.procedures, checked.site, french.gettext, "fr")
    assert book.controller == "Ville de Valbois-sur-Loire"
    assert "dpo@valbois-sur-loire.fr" in book.dpo and "1 place de la Mairie" in book.address
    assert len(book.activities) == len({p.slug for p in checked.procedures})
    birth = next(a for a in book.activities if a.procedure == "acte-naissance")
    assert birth.legal_basis == "public_task" and "point e du RGPD" in birth.legal_basis_text
    assert birth.retention_days == 365 and "365" in birth.retention_text
    assert birth.departments == ("État civil",)
    assert birth.connectors == ("logiciel-etat-civil (webhook)",)
    # categories come from the field types
    english = translations("en")
    birth_en = registers.activity(
        next(p for p in checked.procedures if p.slug == "acte-naissance"),
        checked.site,
        english.gettext,
        "en",
    )
    assert "postal address" in birth_en.categories
    assert "contact details (e-mail address)" in birth_en.categories
    assert "civil status and identity" in birth_en.categories
    bike = registers.activity(
        next(p for p in checked.procedures if p.slug == "aide-velo-electrique"),
        checked.site,
        english.gettext,
        "en",
    )
    assert "bank details (IBAN)" in bike.categories
    assert "Finances" in bike.departments  # a later state routes to another department


def test_a_procedure_without_retention_says_its_requests_are_kept(checked):
    import dataclasses

    procedure = dataclasses.replace(
        checked.procedures[0], retention_days=None, legal_basis="consent"
    )
    item = registers.activity(procedure, checked.site, translations("en").gettext, "en")
    assert item.retention_text == "no period set: closed requests are kept"
    assert "consent" in item.legal_basis_text and "6(1)(a)" in item.legal_basis_text


@pytest.mark.parametrize("form", ["md", "csv", "json"])
def test_the_command_writes_the_register(form, example_environ):
    result = CliRunner().invoke(
        main,
        [
            "gdpr",
            "register",
            str(EXAMPLES),
            "--site",
            str(EXAMPLES / "guichet.yaml"),
            "--format",
            form,
            "--language",
            "fr",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    if form == "json":
        data = json.loads(out)
        assert data["controller"] == "Ville de Valbois-sur-Loire"
        assert {a["procedure"] for a in data["activities"]} >= {"acte-naissance"}
    elif form == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][0] == "Responsable du traitement"
        assert any(r[1] == "acte-naissance" for r in rows[1:])
    else:
        assert out.startswith("# Registre des activités de traitement")
        assert "365 jours après la clôture de la demande, puis anonymisée" in out


def test_the_command_refuses_files_with_problems(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("procedure: x\n")
    result = CliRunner().invoke(main, ["gdpr", "register", str(bad)])
    assert result.exit_code == 1
