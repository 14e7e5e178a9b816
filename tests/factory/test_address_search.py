"""The address search of address fields with ``search:``: a JSON GET for the draft's filer,
backed by a ``ban`` source; without JavaScript the plain inputs stay."""

from __future__ import annotations

import pytest

from connectors.prefill.ban import BanSource

from ..prefill_peers import Peer
from .portal_helpers import CITIZENS, make_app, sign_in, start

SLUG = "signalement-voirie"


@pytest.fixture
def peer():
    server = Peer()
    yield server
    server.close()


@pytest.fixture
def app(tmp_path, example_environ, peer):
    sources = {"adresses": BanSource("adresses", {"url": peer.url})}
    return make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources)


@pytest.fixture
def filer(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    return client, start(client, SLUG)


def search(client, case_id, q, field="adresse"):
    return client.get(f"/brouillons/{case_id}/adresses/{field}", query_string={"q": q})


def test_the_search_answers_addresses_as_json(filer, peer):
    client, case_id = filer
    response = search(client, case_id, "12 rue des l")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    results = response.get_json()["results"]
    assert results[0] == {
        "label": "12 Rue des Lilas 41000 Valbois-sur-Loire",
        "street": "12 Rue des Lilas",
        "postcode": "41000",
        "city": "Valbois-sur-Loire",
        "lat": 47.5861,
        "lon": 1.3345,
    }
    assert peer.requests[-1]["query"]["q"] == ["12 rue des l"]


def test_a_short_query_asks_nothing(filer, peer):
    client, case_id = filer
    assert search(client, case_id, "12").get_json() == {"results": []}
    assert peer.requests == []


def test_a_source_that_fails_says_so_in_json(filer, peer):
    client, case_id = filer
    peer.mode = "500"
    response = search(client, case_id, "12 rue des lilas")
    assert response.status_code == 503
    assert response.get_json() == {"results": [], "error": "unavailable"}


def test_a_field_without_search_is_not_found(filer):
    client, case_id = filer
    assert search(client, case_id, "12 rue", field="position").status_code == 404
    assert search(client, case_id, "12 rue", field="nope").status_code == 404


def test_a_long_query_is_refused(filer):
    client, case_id = filer
    assert search(client, case_id, "x" * 201).status_code == 400


def test_someone_else_s_draft_is_not_searched(app, filer):
    _client, case_id = filer
    other = app.test_client()
    sign_in(other, "b@example.org")
    assert search(other, case_id, "12 rue des lilas").status_code == 404


def test_the_page_offers_the_search_to_scripts_and_keeps_the_plain_inputs(filer):
    client, case_id = filer
    html = client.get(f"/brouillons/{case_id}/localisation").get_data(as_text=True)
    url = f"/brouillons/{case_id}/adresses/adresse"
    assert f'data-address-search-for="adresse" data-url="{url}" data-location="position"' in html
    assert "address-search.js" in html
    assert 'name="adresse-street"' in html and 'name="adresse-postcode"' in html
    assert "Rechercher l’adresse" in html.replace("&#39;", "’")


def test_searches_are_limited_per_session(tmp_path, example_environ, peer):
    sources = {"adresses": BanSource("adresses", {"url": peer.url})}
    app = make_app(tmp_path, CITIZENS, PREFILL_SOURCES=sources, PREFILL_LOOKUPS=2)
    client = app.test_client()
    sign_in(client, "a@example.org")
    case_id = start(client, SLUG)
    assert search(client, case_id, "12 rue des lilas").status_code == 200
    assert search(client, case_id, "12 rue des lys").status_code == 200
    response = search(client, case_id, "12 rue")
    assert response.status_code == 429
    assert len(peer.requests) == 2


def test_the_page_offers_the_map_with_the_site_s_tiles_and_the_field_s_bounds(filer):
    client, case_id = filer
    html = client.get(f"/brouillons/{case_id}/localisation").get_data(as_text=True)
    assert 'data-location-map-for="position"' in html
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'data-bounds="47.55,1.25,47.64,1.4"' in html
    assert "leaflet/leaflet.js" in html and "location-map.js" in html
    assert 'name="position-lat"' in html and 'name="position-lon"' in html
