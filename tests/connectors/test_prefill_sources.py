"""The built-in prefill sources against local servers that speak each public API."""

from __future__ import annotations

import pytest

from connectors.prefill.ban import BanSource
from connectors.prefill.base import LookupFailed
from connectors.prefill.entreprises import ApiEntreprise, RechercheEntreprises
from connectors.prefill.particulier import ApiParticulier
from connectors.prefill.registry import load_types
from connectors.prefill.sources import PrefillSources

from ..prefill_peers import ALLOCATAIRE, POSTCODE, SIRET, TOKEN, UNKNOWN_SIRET, Peer

IDENTITY = {
    "given_name": "CLAIRE",
    "family_name": "MARTIN",
    "birthdate": "1985-03-12",
    "gender": "female",
    "birthplace": "41269",
    "birthcountry": "99100",
}


@pytest.fixture
def peer():
    server = Peer()
    yield server
    server.close()


def make(kind, peer, **settings):
    sources = {
        "recherche-entreprises": lambda: RechercheEntreprises("e", {"url": peer.url, **settings}),
        "api-entreprise": lambda: ApiEntreprise(
            "e", {"url": peer.url, "token": TOKEN, "recipient": "21410269700011", **settings}
        ),
        "api-particulier": lambda: ApiParticulier(
            "caf",
            {
                "url": peer.url,
                "token": TOKEN,
                "purpose": "Tarif de la restauration scolaire",
                "scopes": ["quotient_familial", "statut_etudiant"],
                **settings,
            },
        ),
        "ban": lambda: BanSource("adresses", {"url": peer.url, **settings}),
    }
    return sources[kind]()


#: Each source with a key it finds and a key it does not.
CASES = {
    "recherche-entreprises": (SIRET, UNKNOWN_SIRET),
    "api-entreprise": (SIRET, UNKNOWN_SIRET),
    "api-particulier": ((ALLOCATAIRE, POSTCODE), ("9999999", POSTCODE)),
    "ban": ("12 rue des lilas", "zzz inconnue"),
}


def test_the_built_in_types_are_registered():
    types = load_types()
    assert types["recherche-entreprises"] is RechercheEntreprises
    assert types["api-entreprise"] is ApiEntreprise
    assert types["api-particulier"] is ApiParticulier
    assert types["ban"] is BanSource


@pytest.mark.parametrize("kind", ["recherche-entreprises", "api-entreprise"])
def test_a_siret_gives_the_organisation(peer, kind):
    source = make(kind, peer)
    answer = source.lookup("443 061 841 00047", {})
    assert answer == {
        "name": "LES AMIS DU VIEUX VALBOIS",
        "address": {"street": "12 RUE DES LILAS", "postcode": "41000", "city": "VALBOIS-SUR-LOIRE"},
        "legal_form": "9220",
        "activity_code": "94.99Z",
        "active": True,
    }
    assert set(answer) == set(source.keys)


def test_recherche_entreprises_asks_by_the_siret(peer):
    make("recherche-entreprises", peer).lookup(SIRET, {})
    assert peer.requests[-1]["path"] == "/search"
    assert peer.requests[-1]["query"]["q"] == [SIRET]


def test_api_entreprise_sends_its_token_and_the_required_parameters(peer):
    make("api-entreprise", peer).lookup(SIRET, {})
    request = peer.requests[-1]
    assert request["path"] == f"/v3/insee/sirene/etablissements/{SIRET}"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["query"]["recipient"] == ["21410269700011"]
    assert request["query"]["context"] and request["query"]["object"]


def test_api_entreprise_with_a_wrong_token_fails_saying_so(peer):
    source = ApiEntreprise("e", {"url": peer.url, "token": "wrong", "recipient": "21410269700011"})
    with pytest.raises(LookupFailed, match="401"):
        source.lookup(SIRET, {})


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_key_nobody_has_finds_nothing(peer, kind):
    assert make(kind, peer).lookup(CASES[kind][1], {}) is None


@pytest.mark.parametrize("kind", ["recherche-entreprises", "api-entreprise"])
def test_an_invalid_siret_is_not_even_sent(peer, kind):
    assert make(kind, peer).lookup("12345678901234", {}) is None
    assert peer.requests == []


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("401", "refused the request"),
        ("429", "limits the rate"),
        ("500", "HTTP 500"),
        ("malformed", "not JSON"),
        ("shape", "answer"),
    ],
)
def test_a_failing_source_says_why_without_the_key(peer, kind, mode, message):
    peer.mode = mode
    with pytest.raises(LookupFailed, match=message) as failed:
        make(kind, peer).lookup(CASES[kind][0], {})
    assert ALLOCATAIRE not in str(failed.value)
    assert SIRET not in str(failed.value)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_404_finds_nothing(peer, kind):
    peer.mode = "404"
    assert make(kind, peer).lookup(CASES[kind][0], {}) is None


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_slow_source_gives_up_after_its_timeout(peer, kind):
    peer.mode = "slow"
    peer.delay = 1.5
    with pytest.raises(LookupFailed, match="no answer within 0.2 s"):
        make(kind, peer, timeout=0.2).lookup(CASES[kind][0], {})


def test_a_source_that_is_down_fails(peer):
    url = peer.url
    peer.close()
    with pytest.raises(LookupFailed, match="cannot reach"):
        RechercheEntreprises("e", {"url": url}).lookup(SIRET, {})
    peer.server = type("Closed", (), {"shutdown": lambda s: None, "server_close": lambda s: None})()


def test_the_timeout_is_short_by_default(peer):
    assert make("ban", peer).timeout == 3.0


def test_the_family_quotient_from_the_allocataire_number_and_postcode(peer):
    source = make("api-particulier", peer)
    answer = source.lookup(
        (ALLOCATAIRE, {"street": "1 rue", "postcode": POSTCODE, "city": "V"}), {}
    )
    assert answer == {"family_quotient": 754, "allocataire_count": 2}
    request = peer.requests[-1]
    assert request["path"] == "/api/v2/composition-familiale"
    assert request["headers"]["X-Api-Key"] == TOKEN
    assert request["query"] == {"numeroAllocataire": [ALLOCATAIRE], "codePostal": [POSTCODE]}


def test_the_family_quotient_and_student_status_from_the_franceconnect_identity(peer):
    answer = make("api-particulier", peer).lookup(None, IDENTITY)
    assert answer == {"family_quotient": 754, "allocataire_count": 2, "student_status": "inscrit"}
    family = peer.requests[0]
    assert family["path"] == "/api/v2/composition-familiale-v2"
    assert family["query"]["sexe"] == ["F"]
    assert family["query"]["anneeDateDeNaissance"] == ["1985"]
    assert family["query"]["codeInseeLieuDeNaissance"] == ["41269"]


def test_without_a_franceconnect_identity_nothing_is_asked(peer):
    assert make("api-particulier", peer).lookup(None, {"email": "a@example.org"}) is None
    assert peer.requests == []


def test_only_the_granted_scopes_are_called(peer):
    answer = make("api-particulier", peer, scopes=["quotient_familial"]).lookup(None, IDENTITY)
    assert "student_status" not in answer
    assert [r["path"] for r in peer.requests] == ["/api/v2/composition-familiale-v2"]


def test_the_address_search_gives_addresses_best_first(peer):
    found = make("ban", peer).search("12 rue des l", limit=5)
    assert [f["label"] for f in found] == [
        "12 Rue des Lilas 41000 Valbois-sur-Loire",
        "12 Rue des Lys 41000 Valbois-sur-Loire",
    ]
    assert found[0]["street"] == "12 Rue des Lilas"
    assert (found[0]["lat"], found[0]["lon"]) == (47.5861, 1.3345)
    assert peer.requests[-1]["query"]["autocomplete"] == ["1"]


def test_a_short_search_is_not_sent(peer):
    assert make("ban", peer).search("12") == []
    assert peer.requests == []


def test_geocoding_an_address_gives_the_point(peer):
    address = {"street": "12 rue des Lilas", "postcode": "41000", "city": "Valbois-sur-Loire"}
    answer = make("ban", peer).lookup(address, {})
    assert answer["location"] == {"lat": 47.5861, "lon": 1.3345}
    assert answer["address"]["street"] == "12 Rue des Lilas"


def test_lookups_are_cached_per_draft_for_a_while(peer):
    now = [0.0]
    sources = PrefillSources({"e": make("recherche-entreprises", peer)}, monotonic=lambda: now[0])
    first = sources.lookup("e", SIRET, {}, scope=1)
    assert sources.lookup("e", SIRET, {}, scope=1) == first
    assert len(peer.requests) == 1
    sources.lookup("e", SIRET, {}, scope=2)  # another draft asks again
    assert len(peer.requests) == 2
    now[0] = 301.0
    sources.lookup("e", SIRET, {}, scope=1)
    assert len(peer.requests) == 3


def test_lookups_are_logged_without_the_key(peer, caplog):
    sources = PrefillSources({"e": make("recherche-entreprises", peer)})
    with caplog.at_level("INFO", logger="connectors.prefill.sources"):
        sources.lookup("e", SIRET, {}, scope=1)
        peer.mode = "500"
        with pytest.raises(LookupFailed):
            sources.lookup("e", UNKNOWN_SIRET, {}, scope=1)
    text = caplog.text
    assert "prefill e (recherche-entreprises): found" in text
    assert "HTTP 500" in text
    assert SIRET not in text and UNKNOWN_SIRET not in text


def test_an_unknown_source_fails():
    with pytest.raises(LookupFailed, match="no prefill source 'x'"):
        PrefillSources({}).lookup("x", "1", {})
