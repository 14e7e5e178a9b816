"""Signing in with FranceConnect and ProConnect, against a real OpenID Connect provider
(oidc-provider, tests/peers/oidc) started on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from ..conftest import EXAMPLES
from ..oidc_peer import CLIENT_ID, CLIENT_SECRET, end_provider_session, free_port, start_peer
from ..oidc_peer import through_provider as provider_pages
from .portal_helpers import CITIZENS, csrf, make_app, sign_in

GUICHET = "http://localhost"
REDIRECTS = [f"{GUICHET}/connexion/franceconnect/retour", f"{GUICHET}/connexion/proconnect/retour"]
LOGOUT = [f"{GUICHET}/deconnexion/retour"]
PEOPLE = {**CITIZENS, "ec@example.org": ("agent", ("etat-civil",))}


@pytest.fixture(scope="module")
def franceconnect():
    peer = start_peer("franceconnect", REDIRECTS, LOGOUT)
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def proconnect():
    peer = start_peer("proconnect", REDIRECTS, LOGOUT)
    yield peer
    peer.stop()


def site_with(tmp_path, **issuers) -> str:
    """The example site config with an ``identity:`` section for ``issuers``."""
    text = (EXAMPLES / "guichet.yaml").read_text("utf-8")
    text += "identity:\n"
    for name, issuer in issuers.items():
        text += (
            f"  {name}:\n    issuer: {issuer}\n    client_id: {CLIENT_ID}\n"
            f"    client_secret: env:TEST_OIDC_SECRET\n"
        )
    path = tmp_path / "guichet.yaml"
    path.write_text(text, "utf-8")
    return str(path)


@pytest.fixture
def app(tmp_path, example_environ, monkeypatch, franceconnect, proconnect):
    monkeypatch.setenv("TEST_OIDC_SECRET", CLIENT_SECRET)
    franceconnect.mode()
    proconnect.mode()
    site = site_with(tmp_path, franceconnect=franceconnect.issuer, proconnect=proconnect.issuer)
    return make_app(tmp_path, PEOPLE, SITE=site)


@pytest.fixture
def browser():
    """The browser's side at the provider (its cookies: the provider's session)."""
    with httpx.Client(timeout=10) as http:
        yield http


def begin(client, provider: str = "franceconnect", url: str | None = None):
    """Press the provider's button on the sign-in page (or ``url``'s)."""
    token = csrf(client, "/connexion" if url is None else "/mon-profil")
    action = url or f"/connexion/{provider}"
    return client.post(action, data={"csrf_token": token})


def sign_in_with(client, browser, person: str, provider: str = "franceconnect", url=None):
    """The whole sign-in: Guichet's button, the provider's pages, the callback."""
    response = begin(client, provider, url)
    assert response.status_code == 302, response.get_data(as_text=True)
    back = provider_pages(browser, response.headers["Location"], person)
    assert back.startswith(f"{GUICHET}/connexion/{provider}/retour?"), back
    return client.get(back.removeprefix(GUICHET)), back


def identities(app):
    from engine.models import Account, ExternalIdentity

    state = app.extensions["guichet"]
    with state.sessions() as session:
        rows = session.execute(
            sa.select(ExternalIdentity, Account.email).join(
                Account, Account.id == ExternalIdentity.account_id
            )
        ).all()
        return {(row.provider, row.sub): (email, dict(row.claims)) for row, email in rows}


def signed_in_as(client) -> str | None:
    response = client.get("/mes-demandes")
    return None if response.status_code == 302 else response.get_data(as_text=True)


def test_the_buttons_show_only_when_the_site_config_declares_the_providers(app, tmp_path):
    html = app.test_client().get("/connexion").get_data(as_text=True)
    assert "fc-button__brand\">FranceConnect<" in html
    assert "Qu’est-ce que FranceConnect\u00a0?</a>" in html
    assert 'href="https://franceconnect.gouv.fr/"' in html
    assert 'action="/connexion/franceconnect"' in html
    assert 'action="/connexion/proconnect"' in html
    # the buttons post here and are redirected to the providers: form-action admits them
    policy = app.test_client().get("/connexion").headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:" in policy
    (tmp_path / "plain").mkdir()
    plain = make_app(tmp_path / "plain", PEOPLE)
    html = plain.test_client().get("/connexion").get_data(as_text=True)
    assert "FranceConnect" not in html and "ProConnect" not in html
    assert plain.test_client().post("/connexion/franceconnect").status_code in (400, 404)


def test_a_full_franceconnect_sign_in_creates_a_citizen_account_found_by_sub(
    app, franceconnect, browser
):
    client = app.test_client()
    start = begin(client)
    location = urlsplit(start.headers["Location"])
    asked = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == franceconnect.issuer
    assert asked["acr_values"] == ["eidas1"]
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["state"][0] and asked["nonce"][0] and asked["code_challenge"][0]
    assert "birthdate" in asked["scope"][0].split()
    back = provider_pages(browser, start.headers["Location"], "fc-marie")
    response = client.get(back.removeprefix(GUICHET))
    assert response.status_code == 302
    assert response.headers["Location"] == "/mes-demandes"
    assert signed_in_as(client) is not None
    email, claims = identities(app)[("franceconnect", "fc-marie")]
    assert email == "marie.dupont@example.org"
    assert claims["family_name"] == "Dupont"
    assert claims["birthdate"] == "1980-06-14"
    assert claims["acr"] == "eidas1"
    # a second sign-in finds the same account by its sub
    client.post("/deconnexion", data={"csrf_token": csrf(client, "/mes-demandes")})
    other = app.test_client()
    response, _ = sign_in_with(other, browser, "fc-marie")
    assert response.status_code == 302
    assert len(identities(app)) == 1


def test_an_address_in_use_is_never_linked_by_email_alone(app, browser):
    client = app.test_client()
    response, _ = sign_in_with(client, browser, "fc-paul")  # FranceConnect says a@example.org
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Un compte utilise déjà cette adresse" in html
    assert 'href="/connexion"' in html
    assert identities(app) == {}
    assert signed_in_as(client) is None


def test_a_signed_in_citizen_links_franceconnect_from_the_profile(app, browser):
    client = app.test_client()
    sign_in(client, "a@example.org")
    html = client.get("/mon-profil").get_data(as_text=True)
    assert 'action="/compte/franceconnect/lier"' in html
    response, _ = sign_in_with(client, browser, "fc-paul", url="/compte/franceconnect/lier")
    assert response.status_code == 302 and response.headers["Location"] == "/mon-profil"
    assert identities(app)[("franceconnect", "fc-paul")][0] == "a@example.org"
    assert "FranceConnect est lié à votre compte" in client.get("/mon-profil").get_data(
        as_text=True
    )
    # from now on, FranceConnect alone reaches the account
    other = app.test_client()
    with httpx.Client(timeout=10) as fresh:
        response, _ = sign_in_with(other, fresh, "fc-paul")
    assert response.status_code == 302
    assert signed_in_as(other) is not None


def test_sign_out_also_ends_the_franceconnect_session(app, franceconnect, browser):
    client = app.test_client()
    response, _ = sign_in_with(client, browser, "fc-marie")
    assert response.status_code == 302
    response = client.post("/deconnexion", data={"csrf_token": csrf(client, "/mes-demandes")})
    assert response.status_code == 302
    end = urlsplit(response.headers["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == franceconnect.issuer + "/session/end"
    query = parse_qs(end.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == LOGOUT
    assert query["state"][0]
    assert signed_in_as(client) is None  # signed out here already
    back = end_provider_session(browser, response.headers["Location"])
    assert back.startswith(LOGOUT[0]) and parse_qs(urlsplit(back).query)["state"] == query["state"]
    response = client.get(back.removeprefix(GUICHET), follow_redirects=True)
    assert "Vous êtes déconnecté, ici et de FranceConnect." in response.get_data(as_text=True)
    # the provider asks who signs in again: its session is over
    start = begin(client)
    assert browser.get(start.headers["Location"]).is_redirect
    page = browser.get(
        start.headers["Location"].split("/auth")[0]
        + browser.get(start.headers["Location"]).headers["Location"]
    )
    assert 'name="login"' in page.text


def test_a_replayed_callback_is_refused(app, browser):
    client = app.test_client()
    response, back = sign_in_with(client, browser, "fc-marie")
    assert response.status_code == 302
    client.post("/deconnexion", data={"csrf_token": csrf(client, "/mes-demandes")})
    replay = client.get(back.removeprefix(GUICHET))
    assert replay.status_code == 400
    assert "Ce lien de connexion n’est pas valide" in replay.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_a_forged_state_is_refused(app, browser):
    client = app.test_client()
    start = begin(client)
    back = provider_pages(browser, start.headers["Location"], "fc-marie")
    query = parse_qs(urlsplit(back).query)
    query["state"] = ["forged"]
    forged = "/connexion/franceconnect/retour?" + urlencode({k: v[0] for k, v in query.items()})
    response = client.get(forged)
    assert response.status_code == 400
    assert "Ce lien de connexion n’est pas valide" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert identities(app) == {}


@pytest.mark.parametrize("alteration", ["nonce", "expired", "tampered", "other-key"])
def test_an_id_token_that_does_not_hold_is_refused(app, franceconnect, browser, alteration):
    franceconnect.mode(id_token=alteration)
    client = app.test_client()
    response, _ = sign_in_with(client, browser, "fc-marie")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "La connexion avec FranceConnect a échoué" in html
    assert 'href="/connexion"' in html
    assert signed_in_as(client) is None
    assert identities(app) == {}


def test_a_lower_level_of_assurance_is_refused(app, franceconnect, browser):
    franceconnect.mode(acr="eidas0")
    client = app.test_client()
    response, _ = sign_in_with(client, browser, "fc-marie")
    assert response.status_code == 400
    assert "Le niveau de garantie n’est pas suffisant" in response.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_a_provider_that_does_not_answer_gives_a_page_with_a_way_back(
    tmp_path, example_environ, monkeypatch
):
    monkeypatch.setenv("TEST_OIDC_SECRET", CLIENT_SECRET)
    down = f"http://127.0.0.1:{free_port()}"
    app = make_app(tmp_path, PEOPLE, SITE=site_with(tmp_path, franceconnect=down))
    client = app.test_client()
    response = begin(client)
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "FranceConnect ne répond pas" in html
    assert 'href="/connexion"' in html
    # the callback too (the provider went down in between): no 500
    assert client.get("/connexion/franceconnect/retour?code=x&state=y").status_code in (400, 502)


def test_an_agent_signs_in_with_proconnect_to_the_staff_account_made_for_them(
    app, proconnect, browser
):
    client = app.test_client()
    html = client.get("/connexion").get_data(as_text=True)
    assert "fc-button__brand\">ProConnect<" in html
    response, _ = sign_in_with(client, browser, "pc-agent", "proconnect")
    assert response.status_code == 302
    assert response.headers["Location"] == "/agents/"
    assert identities(app)[("proconnect", "pc-agent")][0] == "ec@example.org"
    assert client.get("/agents/").status_code == 200


@pytest.mark.parametrize("person", ["pc-stranger", "pc-citizen"])
def test_an_unknown_agent_is_refused(app, browser, person):
    client = app.test_client()
    response, _ = sign_in_with(client, browser, person, "proconnect")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Aucun compte d’agent pour cette identité" in html
    assert signed_in_as(client) is None
    assert identities(app) == {}


def test_answers_from_the_pivot_identity_are_certified_and_kept_whatever_is_posted(
    app, browser
):
    import re

    from engine.models import Case

    client = app.test_client()
    response, _ = sign_in_with(client, browser, "fc-marie")
    assert response.status_code == 302
    token = csrf(client, "/demarches/aide-velo-electrique")
    response = client.post("/demarches/aide-velo-electrique/commencer", data={"csrf_token": token})
    page = response.headers["Location"]
    case_id = int(page.split("/")[2])
    html = client.get(page).get_data(as_text=True)
    nom = re.search(r"<input[^>]*\bid=\"nom\"[^>]*>", html).group(0)
    assert 'value="Dupont"' in nom and " readonly" in nom
    birth = re.search(r"<input[^>]*\bid=\"date_naissance\"[^>]*>", html).group(0)
    assert 'value="1980-06-14"' in birth and " readonly" in birth
    assert "Certifié par FranceConnect" in html
    telephone = re.search(r"<input[^>]*\bid=\"telephone\"[^>]*>", html).group(0)
    assert "readonly" not in telephone  # not a claim of the pivot identity
    response = client.post(
        page,
        data={
            "csrf_token": csrf(client, page),
            "nom": "Autre",
            "prenom": "Quelqu'un",
            "date_naissance": "1990-01-01",
            "courriel": "autre@example.org",
            "adresse-street": "1 rue de la Paix",
            "adresse-postcode": "76000",
            "adresse-city": "Rouen",
            "nav": "next",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    state = app.extensions["guichet"]
    with state.sessions() as session:
        answers = session.get(Case, case_id).answers
    assert answers["nom"] == "Dupont"
    assert answers["prenom"] == "Marie Louise"
    assert answers["date_naissance"] == "1980-06-14"
    assert answers["courriel"] == "marie.dupont@example.org"


def test_userinfo_is_read_as_a_signed_jwt_or_as_json(app, browser, monkeypatch):
    """FranceConnect (v2) answers userinfo as a JWT its keys sign, ProConnect here as JSON:
    both are read, the JWT once its signature holds."""
    from factory.auth import oidc

    decoded = []
    decode = oidc._decode
    monkeypatch.setattr(oidc, "_decode", lambda *a: decoded.append(a[0]) or decode(*a))
    response, _ = sign_in_with(app.test_client(), browser, "fc-marie")
    assert response.status_code == 302
    assert len(decoded) == 2  # the ID token, then userinfo
    decoded.clear()
    response, _ = sign_in_with(app.test_client(), browser, "pc-agent", "proconnect")
    assert response.status_code == 302
    assert len(decoded) == 1  # the ID token only
    assert identities(app)[("proconnect", "pc-agent")][1]["siret"] == "21760540400016"
