"""A citizen signs in with FranceConnect (the local provider of tests/peers/oidc), finds
their identity prefilled, certified and read-only, and signs out through the provider."""

from __future__ import annotations

import re
import threading

import pytest

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
from ..oidc_peer import CLIENT_ID, CLIENT_SECRET, free_port, start_peer
from .conftest import TIMEOUT_MS, Audit


@pytest.fixture(scope="module")
def franceconnect_site(tmp_path_factory):
    """Guichet on 127.0.0.1 with FranceConnect declared, and the provider it points to."""
    from werkzeug.serving import make_server

    from factory import create_app

    folder = tmp_path_factory.mktemp("franceconnect")
    port = free_port()
    guichet = f"http://127.0.0.1:{port}"
    peer = start_peer(
        "franceconnect",
        [f"{guichet}/connexion/franceconnect/retour"],
        [f"{guichet}/deconnexion/retour"],
    )
    site = folder / "guichet.yaml"
    site.write_text(
        (EXAMPLES / "guichet.yaml").read_text("utf-8")
        + f"identity:\n  franceconnect:\n    issuer: {peer.issuer}\n"
        f"    client_id: {CLIENT_ID}\n    client_secret: env:TEST_OIDC_SECRET\n",
        "utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**EXAMPLE_ENVIRON, "TEST_OIDC_SECRET": CLIENT_SECRET}.items():
            patch.setenv(name, value)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-tests-secret-key",
                "DATABASE_URL": f"sqlite:///{folder / 'g.db'}",
                "SITE": str(site),
                "PROCEDURES": str(EXAMPLES),
                "UPLOAD_FOLDER": str(folder / "uploads"),
                "RATELIMIT_ENABLED": False,
            }
        )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield guichet
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["guichet"].engine.dispose()
        peer.stop()


def test_sign_in_with_franceconnect_file_with_certified_answers_and_sign_out(
    browser, franceconnect_site
):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=franceconnect_site, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    audit = Audit()
    try:
        page.goto("/connexion")
        what = page.get_by_role("link", name="Qu’est-ce que FranceConnect\u00a0?")
        expect(what).to_have_attribute("href", "https://franceconnect.gouv.fr/")
        audit.check(page, "sign-in page with FranceConnect")
        page.get_by_role("button", name="S’identifier avec FranceConnect").click()
        # the provider's login page
        page.get_by_label("Identifiant").select_option("fc-marie")
        page.get_by_role("button", name="Se connecter et autoriser").click()
        expect(page).to_have_url(re.compile(r"/mes-demandes$"))

        page.goto("/demarches/aide-velo-electrique")
        page.get_by_role("button", name=re.compile(r"^Commencer")).first.click()
        nom = page.get_by_label(re.compile(r"^Nom"))
        expect(nom).to_have_value("Dupont")
        expect(nom).to_have_attribute("readonly", "")
        expect(page.get_by_label(re.compile(r"^Date de naissance"))).to_have_value("1980-06-14")
        expect(page.get_by_text("Certifié par FranceConnect").first).to_be_visible()
        audit.check(page, "a page with certified answers")

        page.get_by_role("button", name="Se déconnecter").click()
        # the provider's sign-out page, then back here
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_text("Vous êtes déconnecté, ici et de FranceConnect.")).to_be_visible()
        page.goto("/mes-demandes")
        expect(page).to_have_url(re.compile(r"/connexion"))
    finally:
        context.close()
    assert errors == []
    audit.assert_clean()
