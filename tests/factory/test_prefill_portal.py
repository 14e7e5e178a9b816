"""Prefill from public sources while filing: the grant example fills the association's
name and address from its SIRET; a source that fails never blocks filing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from connectors.prefill.entreprises import RechercheEntreprises
from engine.models import Case

from ..prefill_peers import SIRET, UNKNOWN_SIRET, Peer
from .portal_helpers import CITIZENS, csrf, errors, make_app, sign_in, start

SLUG = "subvention-association"
PAGE = "association"


@pytest.fixture
def peer():
    server = Peer()
    yield server
    server.close()


@pytest.fixture
def app(tmp_path, example_environ, peer):
    sources = {"entreprises": RechercheEntreprises("entreprises", {"url": peer.url})}
    return make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources)


@pytest.fixture
def citizen(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    return client


def post_page(client, case_id, data, page=PAGE):
    url = f"/brouillons/{case_id}/{page}"
    return client.post(url, data={**data, "csrf_token": csrf(client, url), "nav": "next"})


def case_of(app, case_id) -> Case:
    state = app.extensions["guichet"]
    with state.sessions() as session:
        return session.scalars(sa.select(Case).where(Case.id == case_id)).one()


def test_the_siret_fills_the_name_and_address_on_the_same_page(app, citizen, peer):
    case_id = start(citizen, SLUG)
    response = post_page(citizen, case_id, {"siret": "443 061 841 00047"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/{case_id}/{PAGE}")  # shown again, filled
    html = citizen.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="LES AMIS DU VIEUX VALBOIS"' in html
    assert 'value="12 RUE DES LILAS"' in html
    assert "Rempli à partir de l’annuaire national des entreprises" in html.replace("&#39;", "’")
    case = case_of(app, case_id)
    assert case.answers["nom_association"] == "LES AMIS DU VIEUX VALBOIS"
    assert case.answers["adresse_siege"] == {
        "street": "12 RUE DES LILAS",
        "postcode": "41000",
        "city": "VALBOIS-SUR-LOIRE",
    }
    marks = case.prefilled
    assert set(marks) == {"nom_association", "adresse_siege"}
    assert marks["nom_association"]["source"] == "entreprises"
    assert marks["nom_association"]["type"] == "recherche-entreprises"
    assert marks["nom_association"]["at"]
    stored = json.dumps(marks)
    assert SIRET not in stored and "VIEUX VALBOIS" not in stored and "LILAS" not in stored
    assert len(peer.requests) == 1


def test_the_same_siret_is_not_looked_up_twice(app, citizen, peer):
    case_id = start(citizen, SLUG)
    post_page(citizen, case_id, {"siret": SIRET})
    post_page(citizen, case_id, {"siret": SIRET})
    assert len(peer.requests) == 1


def test_a_source_that_is_down_lets_the_citizen_type_and_go_on(app, citizen, peer):
    peer.mode = "500"
    case_id = start(citizen, SLUG)
    response = post_page(citizen, case_id, {"siret": SIRET})
    html = citizen.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nous n’avons pas pu joindre" in html
    assert "saisir vous-même" in html
    assert "nom_association" not in case_of(app, case_id).answers
    full = {
        "siret": SIRET,
        "nom_association": "Les Amis du vieux Valbois",
        "rna": "W411001234",
        "adresse_siege-street": "12 rue des Lilas",
        "adresse_siege-postcode": "41000",
        "adresse_siege-city": "Valbois-sur-Loire",
        "objet_association": "Sauvegarde du patrimoine",
        "domaine": "culture",
        "nombre_adherents": "40",
    }
    response = post_page(citizen, case_id, full)
    assert response.status_code == 302, errors(response)
    assert not response.headers["Location"].endswith(f"/{PAGE}")
    assert case_of(app, case_id).prefilled in (None, {})


def test_a_slow_source_gives_up_quickly(tmp_path, example_environ, peer):
    peer.mode = "slow"
    peer.delay = 2.0
    sources = {"entreprises": RechercheEntreprises("e", {"url": peer.url, "timeout": 0.2})}
    app = make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources)
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, SLUG)
    response = post_page(client, case_id, {"siret": SIRET})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nous n’avons pas pu joindre" in html


def test_nothing_found_says_so(app, citizen):
    case_id = start(citizen, SLUG)
    response = post_page(citizen, case_id, {"siret": UNKNOWN_SIRET})
    html = citizen.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rien n’a été trouvé pour ce numéro" in html


def test_what_the_citizen_typed_stays(app, citizen):
    case_id = start(citizen, SLUG)
    post_page(citizen, case_id, {"siret": SIRET, "nom_association": "AVV"})
    assert case_of(app, case_id).answers["nom_association"] == "AVV"


def test_a_new_siret_replaces_what_was_prefilled(app, citizen, peer):
    case_id = start(citizen, SLUG)
    post_page(citizen, case_id, {"siret": SIRET})
    post_page(citizen, case_id, {"siret": UNKNOWN_SIRET})
    assert len(peer.requests) == 2


def test_lookups_are_limited_per_session(tmp_path, example_environ, peer):
    sources = {"entreprises": RechercheEntreprises("entreprises", {"url": peer.url})}
    app = make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources, PREFILL_LOOKUPS=1)
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, SLUG)
    post_page(client, case_id, {"siret": SIRET})
    response = post_page(client, case_id, {"siret": UNKNOWN_SIRET})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nous ne pouvons pas chercher davantage" in html
    assert len(peer.requests) == 1


def test_agents_see_which_answers_came_from_which_source(tmp_path, example_environ, peer):
    people = {**CITIZENS, "asso@example.org": ("agent", ("vie-associative",))}
    sources = {"entreprises": RechercheEntreprises("entreprises", {"url": peer.url})}
    app = make_app(tmp_path, people, PREFILL_SOURCES=sources)
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, SLUG)
    post_page(client, case_id, {"siret": SIRET})
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        case.answers = {**case.answers, "nom_association": "Les Amis du Vieux Valbois"}
        case.submitted_at = state.clock.now()
        case.state = "recue"
        case.reference = "SUB-2026-000001"
        case.department = "vie-associative"
    agent = app.test_client()
    sign_in(agent, "asso@example.org")
    html = agent.get(f"/agents/dossiers/{case_id}").get_data(as_text=True)
    assert "Rempli à partir de l’annuaire national des entreprises" in html.replace("&#39;", "’")
    assert "puis modifié par l’usager" in html  # the name was changed after the lookup


def test_the_after_school_form_prefills_the_family_quotient(tmp_path, example_environ, peer):
    from connectors.prefill.particulier import ApiParticulier

    from ..prefill_peers import ALLOCATAIRE, POSTCODE, TOKEN

    settings = {"url": peer.url, "token": TOKEN, "purpose": "calculer le tarif"}
    sources = {"caf": ApiParticulier("caf", settings)}
    app = make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources)
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, "inscription-periscolaire")
    page = f"/brouillons/{case_id}/responsable"
    html = client.get(page).get_data(as_text=True)
    assert "la CAF ou la MSA, via API Particulier" in html  # the mention the API requires
    assert "calculer le tarif" in html
    answers = {
        "nom": "Martin",
        "prenom": "Claire",
        "courriel": "a@example.org",
        "telephone": "06 12 34 56 78",
        "adresse-street": "1 rue des Lilas",
        "adresse-postcode": POSTCODE,
        "adresse-city": "Valbois-sur-Loire",
        "regime": "caf",
        "numero_allocataire": ALLOCATAIRE,
    }
    response = post_page(client, case_id, answers, page="responsable")
    assert response.status_code == 302, errors(response)
    assert response.headers["Location"].endswith("/responsable")  # to check the quotient
    assert case_of(app, case_id).answers["quotient_familial"] == 754
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="754"' in html
    request = peer.requests[-1]
    assert request["query"] == {"numeroAllocataire": [ALLOCATAIRE], "codePostal": [POSTCODE]}


QUOTIENT_PROCEDURE = """\
procedure: tarif-cantine
version: 1
title: Tarif de la cantine
department: enfance
form:
  pages:
    - id: famille
      title: Votre famille
      fields:
        - id: quotient_familial
          type: integer
          label: Quotient familial
          prefill: {source: caf, value: family_quotient}
workflow:
  initial: recue
  states:
    - id: recue
      label: Reçue
    - id: close
      label: Close
      final: true
  transitions:
    - id: clore
      label: Clore
      from: recue
      to: close
      by: agent
"""


@pytest.mark.parametrize("with_franceconnect", [True, False])
def test_a_keyless_lookup_reads_the_franceconnect_identity(
    tmp_path, example_environ, peer, with_franceconnect
):
    """The FranceConnect pivot identity is an input of the lookup; without it nothing is
    asked, and the citizen types the value."""
    from types import SimpleNamespace

    from connectors.prefill.particulier import ApiParticulier
    from definitions.procedures import procedure_from_source
    from engine.models import Account, ExternalIdentity
    from factory.portal import prefill

    from ..prefill_peers import TOKEN

    settings = {"url": peer.url, "token": TOKEN, "purpose": "calculer le tarif"}
    app = make_app(tmp_path, CITIZENS, PREFILL_SOURCES={"caf": ApiParticulier("caf", settings)})
    state = app.extensions["guichet"]
    procedure, problems = procedure_from_source(QUOTIENT_PROCEDURE, site=state.runtime.site)
    assert problems == []
    with app.test_request_context("/"):
        from factory.services import db

        account = db().scalars(sa.select(Account).where(Account.email == "a@example.org")).one()
        if with_franceconnect:
            claims = {
                "given_name": "CLAIRE",
                "family_name": "MARTIN",
                "birthdate": "1985-03-12",
                "gender": "female",
                "birthcountry": "99100",
            }
            db().add(
                ExternalIdentity(
                    provider="franceconnect", sub="s1", account_id=account.id, claims=claims
                )
            )
            db().flush()
        case = SimpleNamespace(id=1, answers={}, prefilled=None)
        prefill.at_start(procedure, case, account)
    if with_franceconnect:
        assert case.answers == {"quotient_familial": 754}
        assert case.prefilled["quotient_familial"]["key"] is None
        assert peer.requests[0]["path"] == "/api/v2/composition-familiale-v2"
    else:
        assert case.answers == {} and peer.requests == []
