"""Clients of the REST API: ``guichet api-clients`` and the console's page (the token shown
once, stored hashed, revocable)."""

from __future__ import annotations

import hashlib
import html as html_module
import re

import sqlalchemy as sa
from click.testing import CliRunner

from engine.db import make_engine, make_session_factory
from engine.models import ApiClient, AuditEvent
from factory.cli import main

from ..conftest import EXAMPLES
from .portal_helpers import csrf, make_app, sign_in


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def rows(url: str) -> list[ApiClient]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(sa.select(ApiClient).order_by(ApiClient.id)))
    finally:
        engine.dispose()


def test_create_prints_the_token_once_on_its_last_line(tmp_path, example_environ):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = run(
        "api-clients", "create", "SIG voirie", "--database", url,
        "--department", "voirie", "--department", "voirie-nord",
        "--scope", "cases:read", "--scope", "events:read", "--as-agent",
        "--site", EXAMPLES / "guichet.yaml",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"gch_[A-Za-z0-9_-]{40,}", token)
    [client] = rows(url)
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.token_hash
    assert client.departments == ["voirie", "voirie-nord"]
    assert client.scopes == ["cases:read", "events:read"]
    assert client.as_agent
    listed = run("api-clients", "list", "--database", url)
    assert "SIG voirie" in listed.output and "active" in listed.output
    assert token not in listed.output
    revoked = run("api-clients", "revoke", "SIG voirie", "--database", url)
    assert revoked.exit_code == 0
    assert rows(url)[0].revoked_at is not None
    assert "revoked" in run("api-clients", "list", "--database", url).output


def test_create_refuses_unknown_scopes_departments_and_names(tmp_path, example_environ):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    site = EXAMPLES / "guichet.yaml"
    bad_scope = run("api-clients", "create", "x", "--database", url, "--department", "voirie",
                    "--scope", "cases:delete")  # fmt: skip
    assert bad_scope.exit_code == 2
    bad_department = run("api-clients", "create", "x", "--database", url, "--site", site,
                         "--department", "nulle-part", "--scope", "cases:read")  # fmt: skip
    assert bad_department.exit_code == 2 and "nulle-part" in bad_department.output
    no_department = run("api-clients", "create", "x", "--database", url, "--scope", "cases:read")
    assert no_department.exit_code == 2
    first = run("api-clients", "create", "x", "--database", url, "--department", "voirie",
                "--scope", "cases:read")  # fmt: skip
    assert first.exit_code == 0
    again = run("api-clients", "create", "x", "--database", url, "--department", "voirie",
                "--scope", "cases:read")  # fmt: skip
    assert again.exit_code == 1 and "already named" in again.output
    assert run("api-clients", "revoke", "nobody", "--database", url).exit_code == 1


def test_the_console_creates_shows_the_token_once_and_revokes(tmp_path, example_environ):
    app = make_app(tmp_path, {"admin@example.org": ("administrator", ())})
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    page = admin.get("/console/clients-api")
    assert page.status_code == 200
    assert "Clients de l'API" in page.get_data(as_text=True)
    # each scope in words beside its name
    assert "Lire les dossiers de ses services (<code>cases:read</code>)" in page.get_data(
        as_text=True
    )
    token = csrf(admin, "/console/clients-api")
    refused = admin.post("/console/clients-api", data={"csrf_token": token, "name": ""})
    assert refused.status_code == 422
    assert "Choisissez au moins un service." in refused.get_data(as_text=True)
    created = admin.post(
        "/console/clients-api",
        data={
            "csrf_token": token,
            "name": "Logiciel d'état civil",
            "departments": "etat-civil",
            "scopes": ["cases:read", "cases:write"],
            "as_agent": "yes",
        },
    )
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    [shown] = re.findall(r"gch_[A-Za-z0-9_-]{40,}", html)
    assert "seule son empreinte est conservée" in html
    assert shown not in admin.get("/console/clients-api").get_data(as_text=True)
    with app.extensions["guichet"].sessions() as session:
        client = session.scalars(sa.select(ApiClient)).one()
        assert client.token_hash == hashlib.sha256(shown.encode()).hexdigest()
        assert client.as_agent and client.departments == ["etat-civil"]
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {shown}"}
    assert api.get("/api/v1/cases", headers=bearer).status_code == 200
    revoked = admin.post(f"/console/clients-api/{client.id}/revoquer", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert api.get("/api/v1/cases", headers=bearer).status_code == 401
    with app.extensions["guichet"].sessions() as session:
        actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert {"api_client.create", "api_client.revoke", "api.list"} <= actions
    journal = html_module.unescape(admin.get("/console/journal").get_data(as_text=True))
    assert "Client de l'API Logiciel d'état civil" in journal
