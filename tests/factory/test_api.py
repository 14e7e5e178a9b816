"""The REST API (issue 15): bearer tokens and scopes, problem details, procedures, cases
(filters, keyset pages, ETag), a case and its documents, firing with If-Match, messages,
documents, filing with an Idempotency-Key, the audit log, the rate limit and CORS."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from engine.models import ApiClient, AuditEvent, Case, Message

from .api_helpers import DOCUMENT, birth_answers, seeded
from .portal_helpers import sign_in

PROBLEM = "application/problem+json"


@pytest.fixture
def world(tmp_path, example_environ):
    return seeded(tmp_path)


@pytest.fixture
def api(world):
    return world.app.test_client()


def session_of(world):
    return world.app.extensions["guichet"].sessions()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/problems/")
    assert body["title"] and body["detail"]
    return body


# -- who calls ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer gch_unknown", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 300],
)
def test_a_request_without_a_valid_token_is_a_401_problem_in_french(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    body = assert_problem(api.get("/api/v1/cases", headers=headers), 401)
    assert body["title"] == "Authentification requise"
    assert "Bearer" in api.get("/api/v1/cases").headers["WWW-Authenticate"]


def test_a_signed_in_session_opens_nothing(world):
    """The API never reads the session cookie: an agent signed in to the back office gets
    a 401, and posting needs no CSRF token but a bearer token."""
    browser = world.app.test_client()
    sign_in(browser, "ec@example.org")
    assert browser.get("/agents/").status_code == 200
    assert_problem(browser.get(f"/api/v1/cases/{world.ids['received']}"), 401)
    response = browser.post(
        f"/api/v1/cases/{world.ids['received']}/messages", json={"body": "Bonjour"}
    )
    assert_problem(response, 401)
    with session_of(world) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_revoked_client_is_refused_and_use_is_recorded(world, api):
    from engine import api_clients

    assert api.get("/api/v1/cases", headers=world.headers()).status_code == 200
    state = world.app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        client = api_clients.find(session, "etat-civil")
        assert client.last_used_at is not None
        assert client.token_hash != world.tokens["etat-civil"]
        assert len(world.tokens["etat-civil"]) > 40
        api_clients.revoke(session, "etat-civil", state.clock.now())
    assert_problem(api.get("/api/v1/cases", headers=world.headers()), 401)


def test_a_missing_scope_is_a_403_problem(world, api):
    headers = world.headers("etat-civil-lecture")
    assert api.get("/api/v1/cases", headers=headers).status_code == 200
    body = assert_problem(api.get("/api/v1/events", headers=headers), 403)
    assert body["scope"] == "events:read"
    assert_problem(api.get("/api/v1/procedures", headers=headers), 403)
    response = api.post(
        f"/api/v1/cases/{world.ids['received']}/messages", json={"body": "x"}, headers=headers
    )
    assert_problem(response, 403)


# -- procedures --------------------------------------------------------------------------------


def test_procedures_and_the_json_schema_of_a_version(world, api):
    listed = api.get("/api/v1/procedures", headers=world.headers()).get_json()
    birth = next(p for p in listed["items"] if p["slug"] == "acte-naissance")
    assert birth["department"] == "etat-civil"
    assert birth["versions"][0]["version"] == 1
    version = api.get("/api/v1/procedures/acte-naissance/versions/1", headers=world.headers())
    body = version.get_json()
    assert body["answers_schema"]["$schema"].endswith("2020-12/schema")
    assert "nom" in body["answers_schema"]["properties"]
    refuser = next(t for t in body["transitions"] if t["id"] == "refuser")
    assert refuser["by"] == "agent"
    assert "motif_refus" in refuser["form_schema"]["properties"]
    missing = api.get("/api/v1/procedures/acte-naissance/versions/99", headers=world.headers())
    assert_problem(missing, 404)


# -- cases -------------------------------------------------------------------------------------


def test_the_list_holds_the_departments_cases_only(world, api):
    mine = api.get("/api/v1/cases", headers=world.headers()).get_json()
    assert {c["id"] for c in mine["items"]} == {world.ids["received"], world.ids["other"]}
    theirs = api.get("/api/v1/cases", headers=world.headers("voirie")).get_json()
    assert theirs["items"] == []


def test_the_list_pages_by_keyset_and_filters(world, api):
    first = api.get("/api/v1/cases?limit=1", headers=world.headers()).get_json()
    assert [c["id"] for c in first["items"]] == [world.ids["other"]]
    assert first["next"] == world.ids["other"]
    second = api.get(f"/api/v1/cases?limit=1&after={first['next']}", headers=world.headers())
    assert [c["id"] for c in second.get_json()["items"]] == [world.ids["received"]]
    assert second.get_json()["next"] is None
    by_state = api.get("/api/v1/cases?state=delivree", headers=world.headers()).get_json()
    assert by_state["items"] == []
    later = api.get(
        "/api/v1/cases?updated_since=2999-01-01T00:00:00Z", headers=world.headers()
    ).get_json()
    assert later["items"] == []
    by_procedure = api.get(
        "/api/v1/cases?procedure=acte-naissance", headers=world.headers()
    ).get_json()
    assert len(by_procedure["items"]) == 2
    assert_problem(api.get("/api/v1/cases?limit=0", headers=world.headers()), 422)
    assert_problem(api.get("/api/v1/cases?after=abc", headers=world.headers()), 422)


def test_the_list_and_a_case_answer_304_while_unchanged(world, api):
    listed = api.get("/api/v1/cases", headers=world.headers())
    tag = listed.headers["ETag"]
    again = api.get("/api/v1/cases", headers=world.headers(**{"If-None-Match": tag}))
    assert again.status_code == 304
    case_url = f"/api/v1/cases/{world.ids['received']}"
    read = api.get(case_url, headers=world.headers())
    assert read.headers["ETag"] == f'"{read.get_json()["lock_version"]}"'
    unchanged = api.get(case_url, headers=world.headers(**{"If-None-Match": read.headers["ETag"]}))
    assert unchanged.status_code == 304
    fire(api, world, "refuser", read.headers["ETag"], {"motif_refus": "Acte introuvable."})
    changed = api.get("/api/v1/cases", headers=world.headers(**{"If-None-Match": tag}))
    assert changed.status_code == 200


def test_a_case_reads_with_its_answers_history_and_documents(world, api):
    body = api.get(f"/api/v1/cases/{world.ids['other']}", headers=world.headers()).get_json()
    assert body["state"] == "recue"
    assert body["answers"]["nom"]
    assert body["history"][0]["kind"] == "submitted"
    assert [a["id"] for a in body["attachments"]] == [world.ids["attachment"]]
    assert "refuser" in body["transitions"]
    # a client acting as the department only has none of the agents' transitions
    service = api.get(
        f"/api/v1/cases/{world.ids['other']}", headers=world.headers("etat-civil-service")
    )
    assert service.get_json()["transitions"] == []


def test_another_departments_client_gets_404_on_every_case_operation(world, api):
    case, attachment = world.ids["other"], world.ids["attachment"]
    headers = world.headers("voirie", **{"If-Match": '"1"'})
    attempts = [
        api.get(f"/api/v1/cases/{case}", headers=headers),
        api.get(f"/api/v1/cases/{case}/attachments/{attachment}", headers=headers),
        api.post(f"/api/v1/cases/{case}/transitions/refuser", json={}, headers=headers),
        api.post(f"/api/v1/cases/{case}/messages", json={"body": "x"}, headers=headers),
        api.post(
            f"/api/v1/cases/{case}/documents",
            data={"file": (io.BytesIO(DOCUMENT), "a.pdf")},
            headers=headers,
        ),
        api.get("/api/v1/cases/999999", headers=world.headers()),
    ]
    for response in attempts:
        assert_problem(response, 404)


def test_an_attachment_downloads_as_an_attachment(world, api):
    url = f"/api/v1/cases/{world.ids['other']}/attachments/{world.ids['attachment']}"
    response = api.get(url, headers=world.headers())
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert body == DOCUMENT
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "application/octet-stream"
    elsewhere = f"/api/v1/cases/{world.ids['received']}/attachments/{world.ids['attachment']}"
    assert_problem(api.get(elsewhere, headers=world.headers()), 404)
    assert_problem(api.get(url, headers=world.headers("etat-civil-lecture")), 403)


# -- writing -----------------------------------------------------------------------------------


def fire(api, world, transition, version, values, client="etat-civil", case="received"):
    return api.post(
        f"/api/v1/cases/{world.ids[case]}/transitions/{transition}",
        json={"values": values},
        headers=world.headers(client, **({"If-Match": version} if version else {})),
    )


def test_firing_needs_the_current_version_in_if_match(world, api):
    read = api.get(f"/api/v1/cases/{world.ids['received']}", headers=world.headers())
    version = read.get_json()["lock_version"]
    assert_problem(fire(api, world, "refuser", None, {"motif_refus": "Non."}), 428)
    stale = assert_problem(
        fire(api, world, "refuser", f'"{version - 1}"', {"motif_refus": "N"}), 412
    )
    assert stale["current_version"] == version
    invalid = fire(api, world, "refuser", f'"{version}"', {})
    assert assert_problem(invalid, 422)["errors"][0]["field"] == "motif_refus"
    done = fire(api, world, "refuser", read.headers["ETag"], {"motif_refus": "Acte introuvable."})
    assert done.status_code == 200, done.get_data(as_text=True)
    body = done.get_json()
    assert body["state"] == "refusee"
    assert done.headers["ETag"] == f'"{body["lock_version"]}"'
    assert body["history"][-1]["actor"] == "api"
    assert body["history"][-1]["department"] == "etat-civil"
    # the same version again is stale now
    again = fire(api, world, "refuser", read.headers["ETag"], {"motif_refus": "Encore."})
    assert assert_problem(again, 412)["current_version"] == body["lock_version"]


def test_a_department_client_cannot_fire_the_agents_transitions(world, api):
    version = api.get(f"/api/v1/cases/{world.ids['received']}", headers=world.headers())
    tag = version.headers["ETag"]
    refused = fire(api, world, "refuser", tag, {"motif_refus": "x"}, client="etat-civil-service")
    assert assert_problem(refused, 409)["reason"] == "actor"
    unknown = fire(api, world, "nulle-part", tag, {})
    assert_problem(unknown, 404)


def test_a_message_reaches_the_citizen(world, api):
    url = f"/api/v1/cases/{world.ids['received']}/messages"
    response = api.post(url, json={"body": "Votre acte est prêt."}, headers=world.headers())
    assert response.status_code == 201
    with session_of(world) as session:
        message = session.scalars(sa.select(Message)).one()
        assert message.body == "Votre acte est prêt."
        assert message.author_kind == "agent"
    assert_problem(api.post(url, json={"body": ""}, headers=world.headers()), 422)
    assert_problem(api.post(url, json={"text": "x"}, headers=world.headers()), 422)


def test_a_document_is_attached_and_checked_by_its_content(world, api):
    url = f"/api/v1/cases/{world.ids['received']}/documents"
    before = api.get(f"/api/v1/cases/{world.ids['received']}", headers=world.headers())
    response = api.post(
        url, data={"file": (io.BytesIO(DOCUMENT), "arrete.pdf")}, headers=world.headers()
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert [a["filename"] for a in body["attachments"]] == ["arrete.pdf"]
    assert body["lock_version"] > before.get_json()["lock_version"]
    hostile = api.post(
        url,
        data={"file": (io.BytesIO(b"<html><script>alert(1)</script>"), "a.pdf")},
        headers=world.headers(),
    )
    assert_problem(hostile, 415)
    assert_problem(api.post(url, data={}, headers=world.headers()), 422)


def test_filing_on_behalf_is_idempotent_with_a_key(world, api):
    body = {"procedure": "acte-naissance", "answers": birth_answers()}
    headers = world.headers(**{"Idempotency-Key": "registre-2026-0001"})
    first = api.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = api.post("/api/v1/cases", json=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["channel"] == "api"
    # the same key from another client is another request
    other = api.post(
        "/api/v1/cases",
        json=body,
        headers=world.headers("etat-civil-service", **{"Idempotency-Key": "registre-2026-0001"}),
    )
    assert other.status_code == 201
    assert other.get_json()["id"] != first.get_json()["id"]
    with session_of(world) as session:
        case = session.get(Case, first.get_json()["id"])
        assert case.channel == "api" and case.reference


def test_filing_refuses_what_the_client_cannot_file(world, api):
    answers = birth_answers()
    invalid = api.post(
        "/api/v1/cases",
        json={"procedure": "acte-naissance", "answers": {}},
        headers=world.headers(),
    )
    assert assert_problem(invalid, 422)["errors"]
    foreign = api.post(
        "/api/v1/cases",
        json={"procedure": "acte-naissance", "answers": answers},
        headers=world.headers("voirie"),
    )
    assert_problem(foreign, 403)
    unknown = api.post(
        "/api/v1/cases", json={"procedure": "nulle-part", "answers": {}}, headers=world.headers()
    )
    assert_problem(unknown, 404)
    nobody = api.post(
        "/api/v1/cases",
        json={"procedure": "acte-naissance", "answers": answers, "owner_email": "x@example.org"},
        headers=world.headers(),
    )
    assert_problem(nobody, 422)


# -- the audit log, the rate limit, CORS -------------------------------------------------------


def test_every_read_and_write_is_in_the_audit_log(world, api):
    case = world.ids["received"]
    api.get("/api/v1/cases", headers=world.headers())
    read = api.get(f"/api/v1/cases/{case}", headers=world.headers())
    api.post(f"/api/v1/cases/{case}/messages", json={"body": "Bonjour"}, headers=world.headers())
    fire(api, world, "refuser", read.headers["ETag"], {"motif_refus": "Non."})
    api.get("/api/v1/events", headers=world.headers())
    with session_of(world) as session:
        client_id = session.scalar(sa.select(ApiClient.id).where(ApiClient.name == "etat-civil"))
        rows = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [(r.action, r.case_id) for r in rows]
    assert actions == [
        ("api.list", None),
        ("api.read", case),
        ("api.message", case),
        ("api.transition", case),
        ("api.events", None),
    ]
    assert all(r.detail["api_client"] == client_id and r.account_id is None for r in rows)


def test_each_client_has_its_own_rate_limit(tmp_path, example_environ):
    world = seeded(tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    api = world.app.test_client()
    for _ in range(3):
        assert api.get("/api/v1/cases", headers=world.headers()).status_code == 200
    limited = assert_problem(api.get("/api/v1/cases", headers=world.headers()), 429)
    assert limited["title"] == "Trop de requêtes"
    assert api.get("/api/v1/cases", headers=world.headers("voirie")).status_code == 200


def test_cors_is_off_unless_configured(tmp_path, example_environ):
    origin = {"Origin": "https://sig.example.org"}
    closed = seeded(tmp_path / "closed")
    response = closed.app.test_client().get("/api/v1/cases", headers=closed.headers(**origin))
    assert "Access-Control-Allow-Origin" not in response.headers
    opened = seeded(tmp_path / "open", API_CORS_ORIGINS=("https://sig.example.org",))
    client = opened.app.test_client()
    response = client.get("/api/v1/cases", headers=opened.headers(**origin))
    assert response.headers["Access-Control-Allow-Origin"] == "https://sig.example.org"
    other = client.get("/api/v1/cases", headers=opened.headers(Origin="https://evil.example"))
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_openapi_document_is_3_1_and_public(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    operations = {
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
    }
    assert operations == {
        "list_procedures",
        "read_procedure_version",
        "list_cases",
        "read_case",
        "download_attachment",
        "fire_transition",
        "post_message",
        "attach_document",
        "file_case",
        "list_events",
    }
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = api.get("/api/v1/")
    assert page.status_code == 200
    assert "OpenAPI" in page.get_data(as_text=True)


def test_what_the_api_does_reads_in_the_back_office_and_the_personal_space(world, api):
    """A transition, a message and a document of a department's system show on the case
    page of its agents and in the citizen's space, like an agent's."""
    case = world.ids["received"]
    read = api.get(f"/api/v1/cases/{case}", headers=world.headers())
    fire(api, world, "demander_precisions", read.headers["ETag"], {"message": "Précisez."})
    api.post(f"/api/v1/cases/{case}/messages", json={"body": "Bonjour"}, headers=world.headers())
    api.post(
        f"/api/v1/cases/{case}/documents",
        data={"file": (io.BytesIO(DOCUMENT), "arrete.pdf")},
        headers=world.headers(),
    )
    agent = world.app.test_client()
    sign_in(agent, "ec@example.org")
    page = agent.get(f"/agents/dossiers/{case}")
    assert page.status_code == 200
    assert "arrete.pdf" in page.get_data(as_text=True)
    citizen = world.app.test_client()
    sign_in(citizen, "a@example.org")
    space = citizen.get(f"/mes-demandes/{case}").get_data(as_text=True)
    assert "Bonjour" in space and "Précisez." in space
