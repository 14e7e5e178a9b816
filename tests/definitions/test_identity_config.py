"""The site config's identity providers (``identity:``): FranceConnect and ProConnect."""

from __future__ import annotations

import pytest

from definitions.folders import load_site_file
from definitions.site import DEFAULT_SCOPES, Secret, secure_issuer

SITE = """\
authority: Commune de Test
identity:
  franceconnect:
    issuer: https://fcp.integ01.dev-franceconnect.fr/api/v2/
    client_id: guichet-fc
    client_secret: env:FC_CLIENT_SECRET
    scopes: [openid, given_name, family_name, birthdate, birthplace, email]
  proconnect:
    issuer: http://127.0.0.1:9100
    client_id: guichet-pc
    client_secret: env:PC_CLIENT_SECRET
departments:
  - {id: voirie, name: Voirie}
"""


def test_the_site_config_declares_franceconnect_and_proconnect(tmp_path):
    path = tmp_path / "guichet.yaml"
    path.write_text(SITE, "utf-8")
    site, problems = load_site_file(path, {"FC_CLIENT_SECRET": "s1", "PC_CLIENT_SECRET": "s2"})
    assert problems == []
    franceconnect = site.identity["franceconnect"]
    assert franceconnect.issuer == "https://fcp.integ01.dev-franceconnect.fr/api/v2"
    assert franceconnect.client_id == "guichet-fc"
    assert franceconnect.client_secret == Secret("FC_CLIENT_SECRET", "s1")
    assert "s1" not in repr(franceconnect)
    assert franceconnect.secret() == "s1"
    assert franceconnect.scopes == (
        "openid", "given_name", "family_name", "birthdate", "birthplace", "email"
    )
    # no scopes listed: ProConnect's agent identity
    assert site.identity["proconnect"].scopes == DEFAULT_SCOPES["proconnect"]


def test_no_identity_section_means_no_provider(tmp_path):
    path = tmp_path / "guichet.yaml"
    path.write_text("authority: Commune\ndepartments:\n  - {id: voirie, name: Voirie}\n", "utf-8")
    site, problems = load_site_file(path, {})
    assert problems == []
    assert dict(site.identity) == {}


def test_an_unset_secret_is_reported(tmp_path):
    path = tmp_path / "guichet.yaml"
    path.write_text(SITE, "utf-8")
    _, problems = load_site_file(path, {"FC_CLIENT_SECRET": "s1"})
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "the environment variable PC_CLIENT_SECRET is not set"
    ]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://auth.franceconnect.gouv.fr/api/v2", True),
        ("http://127.0.0.1:9100", True),
        ("http://localhost:9100/oidc", True),
        ("http://[::1]:9100", True),
        ("http://franceconnect.example", False),
        ("http://127.0.0.1.example.org", False),
        ("http://localhost@evil.example", False),
        ("ftp://127.0.0.1", False),
        ("https://", False),
    ],
)
def test_http_issuers_only_on_loopback(url, accepted):
    assert secure_issuer(url) is accepted
