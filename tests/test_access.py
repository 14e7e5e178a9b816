"""Every route of the application, walked by every kind of actor.

A citizen never reaches another's case, draft, document or page (404); an agent never
reaches a case of a department they do not belong to (404); only administrators reach the
console; visitors are sent to sign in where an account is needed. A route with no
expectation here fails the test: new routes must say who may see them.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from definitions.catalogue import check_paths
from definitions.scenarios import resolve_dates
from engine import cases
from engine.models import Attachment, Case, InternalNote, Message
from engine.workflow import Actor
from factory import create_app
from factory.accounts import create_account

from .conftest import EXAMPLE_ENVIRON, EXAMPLES

PASSWORD = "un mot de passe solide"
ACTORS = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "agent",
    "other_agent",
    "supervisor",
    "administrator",
)
ACCOUNTS = {
    "citizen_a": ("a@example.org", "citizen", ()),
    "citizen_b": ("b@example.org", "citizen", ()),
    "agent": ("ec@example.org", "agent", ("etat-civil",)),
    "other_agent": ("voirie@example.org", "agent", ("voirie",)),
    "supervisor": ("chef@example.org", "supervisor", ("etat-civil",)),
    "administrator": ("admin@example.org", "administrator", ()),
}
OK = {200}
LOGIN = {302}  # sent to the sign-in page
HIDDEN = {404}


def expected(endpoint: str, actor: str) -> set[int]:
    staff = actor in ("agent", "other_agent", "supervisor", "administrator")
    in_department = actor in ("agent", "supervisor")
    blueprint = endpoint.split(".")[0]
    if endpoint in (
        "portal.catalogue",
        "portal.accessibility",
        "portal.privacy",
        "filing.start",
        "auth.signup",
        "auth.forgot",
        "space.tracking",
        "filing.citizen_action_token",
        "space.attachment_token",
    ):
        return OK
    if endpoint == "auth.login":
        return LOGIN if actor != "anonymous" else OK  # signed-in people go where they work
    if endpoint in ("auth.confirm", "auth.reset", "filing.resume_link"):
        return HIDDEN  # with a forged token
    if endpoint in ("space.requests", "space.notifications"):
        return LOGIN if actor == "anonymous" else (HIDDEN if staff else OK)
    if endpoint in ("space.profile", "auth.password"):
        return LOGIN if actor == "anonymous" else OK
    if endpoint in ("space.case", "space.attachment", "filing.citizen_action"):
        return (
            LOGIN
            if actor == "anonymous" and endpoint == "space.case"
            else (OK if actor == "citizen_a" else HIDDEN)
        )
    if endpoint in ("filing.resume", "filing.page", "filing.review", "filing.receipt"):
        return ({302} if endpoint == "filing.resume" else OK) if actor == "citizen_a" else HIDDEN
    if blueprint in ("backoffice", "dashboards"):
        if actor == "anonymous":
            return LOGIN
        if not staff:
            return HIDDEN
        case_specific = endpoint in (
            "backoffice.case",
            "backoffice.attachment",
            "backoffice.transition",
        )
        return OK if (in_department or not case_specific) else HIDDEN
    if blueprint == "console":
        if actor == "anonymous":
            return LOGIN
        if actor != "administrator":
            return HIDDEN
        return {302} if endpoint == "console.index" else OK  # the index opens the procedures
    raise AssertionError(f"no expectation for {endpoint}: say who may see it")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import os

    folder = tmp_path_factory.mktemp("access")
    saved = {k: os.environ.get(k) for k in EXAMPLE_ENVIRON}
    os.environ.update(EXAMPLE_ENVIRON)
    try:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "WTF_CSRF_ENABLED": False,
                "DATABASE_URL": f"sqlite:///{folder / 'g.db'}",
                "RATELIMIT_ENABLED": False,
                "SITE": str(EXAMPLES / "guichet.yaml"),
                "PROCEDURES": str(EXAMPLES),
                "UPLOAD_FOLDER": str(folder / "uploads"),
            }
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    state = app.extensions["guichet"]
    checked = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    suites = {p.slug: checked.suites[(p.slug, p.version)] for p in checked.procedures}
    today = dt.date.today()
    ids = {}
    with app.app_context(), state.sessions() as session, session.begin():
        now = state.clock.now()
        for key, (email, kind, departments) in ACCOUNTS.items():
            ids[key] = create_account(
                session,
                email,
                PASSWORD,
                kind=kind,
                departments=departments,
                confirmed=True,
                now=now,
            ).id
        birth = state.runtime.catalogue.current(session, "acte-naissance")
        road = state.runtime.catalogue.current(session, "signalement-voirie")
        citizen = Actor("citizen", ids["citizen_a"])
        answers = resolve_dates(dict(suites["acte-naissance"].scenarios[1].answers), today)
        case = cases.submit_answers(
            session, state.runtime, birth, answers, citizen, state.clock, owner_id=ids["citizen_a"]
        )
        path = state.uploads / "att-access"
        path.write_bytes(b"%PDF-1.4 access")
        session.add(
            Attachment(
                id="att-access",
                case_id=case.id,
                owner_id=ids["citizen_a"],
                field="piece_identite",
                filename="piece.pdf",
                content_type="application/pdf",
                size=15,
                sha256="0" * 64,
                created_at=now,
            )
        )
        cases.fire(
            session,
            state.runtime,
            case,
            "demander_precisions",
            Actor("agent", None, frozenset({"etat-civil"})),
            state.clock,
            values={"message": "Précisez."},
        )
        draft = cases.new_draft(session, state.runtime, birth, citizen, state.clock)
        tracked = cases.submit_answers(
            session,
            state.runtime,
            road,
            resolve_dates(dict(suites["signalement-voirie"].scenarios[0].answers), today),
            Actor("citizen"),
            state.clock,
        )
        ids.update(case=case.id, draft=draft.id, token=tracked.tracking_token)
    return app, ids


def client_for(app, actor: str):
    client = app.test_client()
    if actor != "anonymous":
        email = ACCOUNTS[actor][0]
        response = client.post("/connexion", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, actor
    return client


def urls(app, ids) -> list[tuple[str, str]]:
    """(endpoint, URL) for every GET route, with the world's case, draft and token."""
    values = {
        "case_id": ids["case"],
        "slug": "acte-naissance",
        "token": ids["token"],
        "attachment_id": "att-access",
        "account_id": ids["citizen_a"],
    }
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        arguments = {}
        for name in rule.arguments:
            if name == "page_id":
                arguments[name] = "demandeur"
            elif name == "transition_id":
                arguments[name] = (
                    "apporter_precisions" if rule.endpoint.startswith("filing") else "refuser"
                )
            elif name == "case_id" and rule.endpoint in (
                "filing.resume",
                "filing.page",
                "filing.review",
            ):
                arguments[name] = ids["draft"]
            elif name == "token" and rule.endpoint in (
                "auth.confirm",
                "auth.reset",
                "filing.resume_link",
            ):
                arguments[name] = "forged-token"
            elif name in values:
                arguments[name] = values[name]
            else:
                raise AssertionError(f"{rule.rule}: no value for <{name}>")
        endpoint = rule.endpoint
        if "token" in rule.arguments and endpoint in ("filing.citizen_action", "space.attachment"):
            endpoint += "_token"
        with app.test_request_context():
            from flask import url_for

            found.append((endpoint, url_for(rule.endpoint, **arguments)))
    return found


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_for_every_actor(world, actor):
    app, ids = world
    client = client_for(app, actor)
    wrong = []
    for endpoint, url in urls(app, ids):
        if endpoint == "space.attachment_token":
            continue  # the tracked case has no document; the owner's route is checked
        if endpoint == "filing.citizen_action_token":
            continue  # the tracked road report asks nothing of its citizen
        response = client.get(url)
        status = response.status_code
        response.close()  # downloads are streamed from files
        if status not in expected(endpoint, actor):
            allowed = sorted(expected(endpoint, actor))
            wrong.append(f"{url} ({endpoint}): {status}, expected {allowed}")
    assert wrong == []


def test_nobody_writes_into_a_case_that_is_not_theirs(world):
    app, ids = world
    case = ids["case"]
    attempts = {
        "citizen_b": [f"/mes-demandes/{case}/message", f"/mes-demandes/{case}/relance"],
        "other_agent": [
            f"/agents/dossiers/{case}/note",
            f"/agents/dossiers/{case}/message",
            f"/agents/dossiers/{case}/transitions/refuser",
        ],
        "administrator": [f"/agents/dossiers/{case}/note"],
        "citizen_a": [
            f"/agents/dossiers/{case}/note",
            "/console/procedures/acte-naissance/retirer",
        ],
        "agent": ["/console/procedures/acte-naissance/retirer"],
    }
    for actor, targets in attempts.items():
        client = client_for(app, actor)
        for url in targets:
            status = client.post(url, data={"body": "intrusion", "motif_refus": "x"}).status_code
            assert status == 404, (actor, url, status)
    with app.extensions["guichet"].sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(InternalNote)) == 0
        assert session.get(Case, case).state == "attente_usager"
