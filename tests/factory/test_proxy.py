"""Behind reverse proxies: trusted forwarded headers, HTTPS, secure cookies and HSTS."""

from __future__ import annotations

import re

import pytest
from flask import jsonify, request, url_for

from .portal_helpers import CITIZENS, PASSWORD, make_app

FORWARDED = {
    "X-Forwarded-For": "192.0.2.1, 198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "demarches.example.fr",
}


def _sign_in(client, email: str, **options):
    """Sign in; returns the answer to the sign-in POST."""
    page = client.get("/connexion", **options).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/connexion", data=data, **options)
    assert response.status_code == 302
    return response


def _app(tmp_path, **config):
    app = make_app(tmp_path, CITIZENS, **config)

    def seen():
        return jsonify(
            address=request.remote_addr,
            secure=request.is_secure,
            link=url_for("portal.catalogue", _external=True),
        )

    app.add_url_rule("/seen-by-the-app", "seen", seen)
    return app


def test_one_trusted_proxy_gives_the_address_scheme_and_host_it_saw(tmp_path, example_environ):
    app = _app(tmp_path, TRUSTED_PROXIES=1)
    seen = app.test_client().get("/seen-by-the-app", headers=FORWARDED).json
    # the last address is the one our proxy saw; the first one a client may have written
    assert seen == {
        "address": "198.51.100.7",
        "secure": True,
        "link": "https://demarches.example.fr/",
    }


def test_two_trusted_proxies_reach_one_address_further(tmp_path, example_environ):
    app = _app(tmp_path, TRUSTED_PROXIES=2)
    seen = app.test_client().get("/seen-by-the-app", headers=FORWARDED).json
    assert seen["address"] == "192.0.2.1"


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path, example_environ):
    app = _app(tmp_path)
    client = app.test_client()
    seen = client.get("/seen-by-the-app", headers=FORWARDED).json
    assert seen == {"address": "127.0.0.1", "secure": False, "link": "http://localhost/"}


def test_metrics_judge_the_address_the_proxy_saw(tmp_path, example_environ):
    """From the proxy's own address (loopback), a client of the proxy is still a stranger."""
    app = _app(tmp_path, TRUSTED_PROXIES=1)
    client = app.test_client()
    assert client.get("/metrics", headers=FORWARDED).status_code == 404
    assert client.get("/metrics").status_code == 200  # a scraper on this machine, direct


def test_sign_in_is_rate_limited_per_client_of_the_proxy(tmp_path, example_environ):
    app = make_app(
        tmp_path, CITIZENS, TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per hour"
    )
    client = app.test_client()

    def attempt(address):
        headers = {"X-Forwarded-For": address}
        page = client.get("/connexion", headers=headers)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        data = {"email": "nobody@example.org", "password": "wrong", "csrf_token": token[1]}
        return client.post("/connexion", data=data, headers=headers).status_code

    assert [attempt("198.51.100.7") for _ in range(3)][-1] == 429
    assert attempt("198.51.100.8") != 429  # another client behind the same proxy


def test_https_declared_makes_cookies_secure_and_sends_hsts(tmp_path, example_environ):
    app = _app(tmp_path, HTTPS=True, TRUSTED_PROXIES=1)
    client = app.test_client()
    # TLS ends at the proxy, which says so; the test client keeps secure cookies for https
    # (and Flask-WTF checks the referrer of a POST over HTTPS, as browsers send it)
    https = {
        "headers": {"X-Forwarded-Proto": "https", "Referer": "https://localhost/connexion"},
        "base_url": "https://localhost",
    }
    response = _sign_in(client, "a@example.org", **https)
    # every cookie set (a removal, Max-Age=0, carries nothing)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "Max-Age=0" not in c]
    assert cookies and all("; Secure" in cookie for cookie in cookies)
    assert client.get("/mes-demandes", **https).status_code == 200  # signed in
    page = client.get("/", **https)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    with app.test_request_context("/"):
        assert url_for("portal.catalogue", _external=True).startswith("https://")


def test_without_https_cookies_are_not_secure_and_no_hsts(tmp_path, example_environ):
    app = _app(tmp_path)
    client = app.test_client()
    response = _sign_in(client, "a@example.org")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "Max-Age=0" not in c]
    assert cookies and not any("; Secure" in cookie for cookie in cookies)
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("proxies", [-1, "many"])
def test_a_count_of_proxies_that_is_not_one_stops_the_start(tmp_path, example_environ, proxies):
    with pytest.raises(ValueError):
        make_app(tmp_path, CITIZENS, TRUSTED_PROXIES=proxies)
