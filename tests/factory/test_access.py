"""Every route of the application, walked by every kind of actor, with GET and POST.

A citizen never reaches another's case, draft, document or page (404); an agent never
reaches a case of a department they do not belong to (404); only administrators reach the
console; visitors are sent to sign in where an account is needed. The routes come from
``app.url_map``: a route with no line in ``ACCESS`` (``route_access.py``) fails the test, so
that a new route says who may use it the day it is added. A refused POST changes nothing in
the database.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.models import Case, InternalNote, Message

from .route_access import (
    ACCESS,
    API_ACCESS,
    API_CLIENT_NAMES,
    AWAY,
    GET_OK,
    LOGIN,
    OK,
    UNTOUCHED,
)
from .route_world import (
    ACTORS,
    API_BLUEPRINT,
    API_CLIENTS,
    POSTS,
    STATE_CHANGING,
    World,
    changed_tables,
    routes,
)


def expected(route, actor: str, method: str) -> tuple[set[int], str | None, bool]:
    """(statuses, where a 302 must lead or None, whether the database must be unchanged)."""
    assert route.name in ACCESS, f"no expectation for {route.name}: say who may use it"
    who = ACCESS[route.name][0 if method == "GET" else 1]
    assert who is not None, f"{route.name} takes {method}: say who may use it"
    outcome = who[actor]
    if outcome in (OK, UNTOUCHED):
        ok = GET_OK.get(route.name, {200}) if method == "GET" else set(POSTS[route.name].ok)
        return ok, None, outcome == UNTOUCHED
    if outcome == LOGIN:
        return {302}, "/connexion", True
    if outcome == AWAY:
        return {302}, None, True
    return set(outcome), None, True


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("access"))


def test_every_route_is_described(world):
    """A rule of the URL map that a table does not know, or a line of a table that no rule
    has, fails: each says which."""
    names = set()
    problems = []
    for route in routes(world.app):
        names.add(route.name)
        if route.name not in ACCESS:
            problems.append(f"{route.rule} ({route.name}): add it to ACCESS")
        else:
            get, post = ACCESS[route.name]
            if ("GET" in route.methods) != (get is not None):
                problems.append(f"{route.rule}: ACCESS says GET is {get is not None}")
            if bool(route.methods & STATE_CHANGING) != (post is not None):
                problems.append(f"{route.rule}: ACCESS says POST is {post is not None}")
        if route.methods - {"GET", "POST"}:
            problems.append(f"{route.rule}: {sorted(route.methods)}: walk these methods too")
        if route.methods & STATE_CHANGING and route.name not in POSTS:
            problems.append(f"{route.rule} ({route.name}): add how to post it to POSTS")
        try:
            world.url(route)
        except AssertionError as error:
            problems.append(str(error))
    for route in routes(world.app):
        needs_token = (
            route.endpoint.startswith(API_BLUEPRINT + ".")
            and route.name in ACCESS
            and (
                any(outcome != OK for who in ACCESS[route.name] if who for outcome in who.values())
            )
        )
        if needs_token and route.name not in API_ACCESS:
            problems.append(f"{route.rule} ({route.name}): add it to API_ACCESS")
        if needs_token and route.methods & STATE_CHANGING and POSTS[route.name].bearer is None:
            problems.append(f"{route.rule} ({route.name}): say whose token posts it")
    problems += [f"{name}: no such route in API_ACCESS" for name in API_ACCESS.keys() - names]
    problems += [f"{name}: no such route in ACCESS" for name in ACCESS.keys() - names]
    problems += [f"{name}: no such route in POSTS" for name in POSTS.keys() - names]
    assert problems == []


def _check(response, route, actor, method, wrong):
    statuses, location, _unchanged = expected(route, actor, method)
    status = response.status_code
    if status not in statuses:
        wrong.append(
            f"{method} {route.rule} ({route.name}) as {actor}: {status}, "
            f"expected {sorted(statuses)}"
        )
    elif location and not response.headers["Location"].startswith(location):
        wrong.append(f"{method} {route.rule} as {actor}: sent to {response.headers['Location']}")


@pytest.mark.parametrize("actor", ACTORS)
def test_every_get_route_for_every_actor(world, actor):
    client = world.client(actor)
    wrong = []
    for route in routes(world.app):
        if "GET" not in route.methods:
            continue
        response = client.get(world.url(route))
        response.close()  # downloads are streamed from files
        _check(response, route, actor, "GET", wrong)
    assert wrong == []


@pytest.mark.parametrize("actor", ACTORS)
def test_every_post_route_for_every_actor(world, actor):
    """Each POST with a valid CSRF token and the data that works for who may; the database
    is put back before each, and must be unchanged after a refusal."""
    wrong = []
    for route in routes(world.app):
        if not route.methods & STATE_CHANGING:
            continue
        post = POSTS[route.name]
        world.restore()
        client = world.new_client(actor) if post.own_client else world.client(actor)
        data = world.post_data(post) | {"csrf_token": world.token(client)}
        before = world.snapshot()
        response = client.post(world.url(route, post.url), data=data)
        _check(response, route, actor, "POST", wrong)
        if expected(route, actor, "POST")[2]:
            changed = changed_tables(before, world.snapshot())
            if changed:
                wrong.append(f"POST {route.rule} as {actor} changed {changed}")
    world.restore()
    assert wrong == []


def test_the_api_tables_name_the_world_s_clients():
    assert set(API_CLIENT_NAMES) == set(API_CLIENTS)


@pytest.mark.parametrize("client_name", API_CLIENT_NAMES)
def test_every_api_route_for_every_api_client(world, client_name):
    """The REST API's routes with each client's bearer token: another department's case is
    a 404, a missing scope a 403; a refused POST changes nothing."""
    wrong = []
    client = world.app.test_client()
    token = {"Authorization": f"Bearer {world.tokens[client_name]}"}
    for route in routes(world.app):
        if route.name not in API_ACCESS:
            continue
        get, post = API_ACCESS[route.name]
        if get is not None:
            response = client.get(world.url(route), headers=token)
            response.close()
            statuses = {200} if get[client_name] == OK else set(get[client_name])
            if response.status_code not in statuses:
                wrong.append(f"GET {route.rule} as {client_name}: {response.status_code}")
        if post is not None:
            world.restore()
            before = world.snapshot()
            arguments = world.api_request(POSTS[route.name], client_name)
            response = client.post(world.url(route), **arguments)
            works = post[client_name] == OK
            statuses = set(POSTS[route.name].ok) if works else set(post[client_name])
            if response.status_code not in statuses:
                wrong.append(
                    f"POST {route.rule} as {client_name}: {response.status_code} "
                    f"{response.get_data(as_text=True)[:200]}"
                )
            # a refused request still records when the client was last seen
            changed = [t for t in changed_tables(before, world.snapshot()) if t != "api_clients"]
            if not works and changed:
                wrong.append(f"POST {route.rule} as {client_name} changed {changed}")
            if works and not changed:
                wrong.append(f"POST {route.rule} as {client_name} changed nothing")
    world.restore()
    assert wrong == []


def test_attachments_of_another_case_are_hidden(world):
    """A document is reached through its own case only: with another case's id in the URL,
    even the case's owner and its agents get a 404."""
    wrong = []
    for route in routes(world.app):
        if "attachment_id" not in route.arguments:
            continue
        for actor in ACTORS:
            if ACCESS[route.name][0][actor] != OK:
                continue
            response = world.client(actor).get(world.url(route, attachment_id="att-other"))
            response.close()
            if response.status_code != 404:
                wrong.append(f"{route.name} as {actor}: {response.status_code}")
    assert wrong == []


def test_nobody_writes_into_a_case_that_is_not_theirs(world):
    world.restore()
    case, staff_case = world.ids["case"], world.ids["staff_case"]
    attempts = {
        "citizen_b": [
            f"/mes-demandes/{case}/message",
            f"/mes-demandes/{case}/relance",
            f"/brouillons/{world.ids['draft']}/supprimer",
        ],
        "other_agent": [
            f"/agents/dossiers/{staff_case}/note",
            f"/agents/dossiers/{staff_case}/message",
            f"/agents/dossiers/{staff_case}/transitions/refuser",
        ],
        "administrator": [f"/agents/dossiers/{staff_case}/note"],
        "citizen_a": [
            f"/agents/dossiers/{staff_case}/note",
            "/console/procedures/acte-naissance/retirer",
        ],
        "agent": ["/console/procedures/acte-naissance/retirer"],
    }
    with world.state.sessions() as session:
        messages = session.scalar(sa.select(sa.func.count()).select_from(Message))
        notes = session.scalar(sa.select(sa.func.count()).select_from(InternalNote))
    for actor, targets in attempts.items():
        client = world.client(actor)
        for url in targets:
            data = {"body": "intrusion", "motif_refus": "x", "csrf_token": world.token(client)}
            status = client.post(url, data=data).status_code
            assert status == 404, (actor, url, status)
    with world.state.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == messages
        assert session.scalar(sa.select(sa.func.count()).select_from(InternalNote)) == notes
        assert session.get(Case, case).state == "attente_usager"
        assert session.get(Case, staff_case).state == "recue"
        assert session.get(Case, world.ids["draft"]) is not None
