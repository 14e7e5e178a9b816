"""The legal pages from the site config: the footer's links with the declared accessibility
status, the legal notice, the accessibility statement as the RGAA asks, each procedure's
information notice; and what is missing is a ``guichet check --site`` problem."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from factory.cli import main

from ..conftest import EXAMPLES, FIXTURES

VALID = FIXTURES / "valid" / "birth-certificate.yaml"


def test_the_footer_links_the_legal_pages_with_the_declared_status(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/mentions-legales">Mentions légales</a>' in page
    assert 'href="/donnees-personnelles">Données personnelles</a>' in page
    assert "Accessibilité\u00a0: partiellement conforme" in page  # the examples say partial
    assert "1 place de la Mairie" in page and "02 54 00 10 00" in page


def test_the_legal_notice_names_publisher_director_host_and_dpo(app):
    page = app.test_client().get("/mentions-legales")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for part in (
        "Éditeur",
        "Directeur de la publication",
        "Hébergeur",
        "Le maire de Valbois",
        "Service informatique de la Ville",
        "dpo@valbois-sur-loire.fr",
    ):
        assert part in html


def test_the_accessibility_statement_says_what_the_rgaa_requires(app):
    html = app.test_client().get("/accessibilite").get_data(as_text=True)
    assert "partiellement conforme" in html
    assert "15 octobre 2026" in html  # the audit's date, in words
    assert "Formulaire de demande d&#39;acte de naissance" in html  # an audited page
    assert "critère 1.3" in html  # a non-conformity
    assert "contenus de tiers" in html  # a derogation
    assert "accessibilite@valbois-sur-loire.fr" in html  # the contact
    assert "Schéma pluriannuel de mise en accessibilité 2026-2028" in html
    assert "Défenseur des droits" in html and "Libre réponse 71120" in html


def test_each_procedure_shows_its_information_notice(app):
    html = app.test_client().get("/demarches/acte-naissance").get_data(as_text=True)
    assert "Vos données personnelles" in html
    assert "Responsable du traitement" in html and "Ville de Valbois-sur-Loire" in html
    assert "dpo@valbois-sur-loire.fr" in html
    assert "mission d’intérêt public" in html  # the legal basis
    assert "État civil" in html  # a recipient
    assert "365 jours après la clôture de la demande" in html
    assert "CNIL" in html


def test_the_notice_names_departments_not_connectors(app):
    """Citizens read who receives their data in words: the departments; the connectors that
    carry it to the departments' systems are in the register, not named by their ids."""
    html = app.test_client().get("/demarches/subvention-association").get_data(as_text=True)
    assert "Vie associative et sportive" in html and "Finances" in html
    assert "bus-finances" not in html and "(amqp)" not in html


@pytest.mark.parametrize(
    "site, expected",
    [
        (
            "authority: Ville\ndepartments: [{id: etat-civil, name: EC}]\n",
            ["address", "legal_notice", "dpo", "accessibility"],
        ),
        (
            "authority: Ville\ndepartments: [{id: etat-civil, name: EC}]\naddress: Mairie\n"
            "legal_notice: {publisher: Ville, director: Maire, host: Ville}\n"
            "dpo: {email: dpo@example.org}\naccessibility: {status: partial}\n",
            ["'contact'", "'plan'", "'audit_date'", "'audited_pages'", "'non_conformities'"],
        ),
    ],
)
def test_check_site_reports_what_the_legal_pages_lack(tmp_path, site, expected):
    path = tmp_path / "guichet.yaml"
    path.write_text(site)
    result = CliRunner().invoke(main, ["check", str(VALID), "--site", str(path)])
    assert result.exit_code == 1
    for part in expected:
        assert any(part in line for line in result.stdout.splitlines() if str(path) in line), part


def test_the_examples_site_lacks_nothing(example_environ):
    result = CliRunner().invoke(
        main, ["check", str(EXAMPLES), "--site", str(EXAMPLES / "guichet.yaml")]
    )
    assert result.exit_code == 0, result.output
