"""Every route of the application, walked by every kind of actor, with GET and POST.

A citizen never reaches another's case, draft, document or page (404); an agent never
reaches a case of a department they do not belong to (404); only administrators reach the
console; visitors are sent to sign in where an account is needed. The routes come from
``app.url_map``: a route with no line in ``ACCESS`` fails the test, so that a new route says
who may use it the day it is added. A refused POST changes nothing in the database.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.models import Case, InternalNote, Message

from .route_world import ACTORS, POSTS, STATE_CHANGING, World, changed_tables, routes

OK = "ok"  # what the route answers when it works (200, or its own codes below)
LOGIN = "login"  # 302 to the sign-in page
AWAY = "away"  # 302 elsewhere: a signed-in person goes where they work
HIDDEN = frozenset({404})
FORBIDDEN = frozenset({403})
#: OK, but a case outside the actor's departments is left untouched
UNTOUCHED = "untouched"


def access(*outcomes) -> dict:
    """One outcome per actor, in the order of ACTORS."""
    return dict(zip(ACTORS, outcomes, strict=True))


#: citizen_a owns the cases, the draft and their documents; the cases belong to etat-civil,
#: the department of the agent and the supervisor; the other agent works in voirie.
EVERYONE = access(OK, OK, OK, OK, OK, OK, OK)
SIGNED_OUT = access(OK, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
#: a forged e-mail token opens nothing
NOBODY = access(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
#: the tracking link is the key: whoever holds it reaches the case
LINK_HOLDERS = EVERYONE
SIGNED_IN = access(LOGIN, OK, OK, OK, OK, OK, OK)
CITIZENS = access(LOGIN, OK, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
OWNER = access(HIDDEN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
OWNER_SIGN_IN = access(LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
#: starting a procedure is for citizens and visitors; staff file on behalf instead
FILERS = access(OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
STAFF = access(LOGIN, HIDDEN, HIDDEN, OK, OK, OK, OK)
STAFF_CASE = access(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, OK, HIDDEN)
STAFF_BULK = access(LOGIN, HIDDEN, HIDDEN, OK, UNTOUCHED, OK, UNTOUCHED)
ADMIN = access(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK)
#: what belongs to the agent alone (their saved filter): anyone else's is a 404
AGENT_OWN = access(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, HIDDEN, HIDDEN)

#: route name: (who may GET it, who may POST it); None: the route does not take the method
ACCESS = {
    "portal.catalogue": (EVERYONE, None),
    "portal.accessibility": (EVERYONE, None),
    "portal.privacy": (EVERYONE, None),
    "auth.login": (SIGNED_OUT, EVERYONE),
    "auth.logout": (None, EVERYONE),
    "auth.password": (SIGNED_IN, SIGNED_IN),
    "auth.signup": (EVERYONE, EVERYONE),
    "auth.forgot": (EVERYONE, EVERYONE),
    "auth.confirm": (NOBODY, None),
    # GET with a forged token; POST with a real one (the link is the key)
    "auth.reset": (NOBODY, LINK_HOLDERS),
    "filing.start": (EVERYONE, None),
    "filing.begin": (None, FILERS),
    "filing.resume": (OWNER, None),
    "filing.resume_link": (NOBODY, None),
    "filing.page": (OWNER, OWNER),
    "filing.review": (OWNER, None),
    "filing.delete_draft": (OWNER, OWNER),
    "filing.submit": (None, OWNER),
    "filing.receipt": (OWNER, None),
    "filing.citizen_action": (OWNER, OWNER),
    "filing.citizen_action_token": (LINK_HOLDERS, LINK_HOLDERS),
    "space.requests": (CITIZENS, None),
    "space.notifications": (CITIZENS, None),
    "space.profile": (SIGNED_IN, SIGNED_IN),
    "space.case": (OWNER_SIGN_IN, None),
    "space.attachment": (OWNER, None),
    "space.message": (None, OWNER),
    "space.reminder": (None, OWNER),
    "space.satisfaction": (None, OWNER),
    "space.tracking": (LINK_HOLDERS, None),
    "space.attachment_token": (LINK_HOLDERS, None),
    "space.message_token": (None, LINK_HOLDERS),
    "space.reminder_token": (None, LINK_HOLDERS),
    "space.satisfaction_token": (None, LINK_HOLDERS),
    "backoffice.inbox": (STAFF, None),
    "backoffice.case": (STAFF_CASE, None),
    "backoffice.attachment": (STAFF_CASE, None),
    "backoffice.transition": (STAFF_CASE, STAFF_CASE),
    "backoffice.note": (None, STAFF_CASE),
    "backoffice.message": (None, STAFF_CASE),
    "backoffice.assign": (None, STAFF_CASE),
    "backoffice.on_behalf": (STAFF, STAFF),
    "backoffice.bulk": (None, STAFF_BULK),
    "backoffice.take": (None, STAFF_BULK),
    "backoffice.save_filter": (None, STAFF),
    "backoffice.delete_filter": (None, AGENT_OWN),
    "dashboards.index": (STAFF, None),
    "dashboards.dashboard": (STAFF, None),
    "dashboards.export": (STAFF, None),
    "console.index": (ADMIN, None),
    "console.procedures": (ADMIN, None),
    "console.procedure": (ADMIN, None),
    "console.new_version": (ADMIN, ADMIN),
    "console.withdraw": (None, ADMIN),
    "console.restore": (None, ADMIN),
    "console.outbox": (ADMIN, None),
    "console.replay_dead": (None, ADMIN),
    "console.audit_log": (ADMIN, None),
    "console.users": (ADMIN, None),
    "console.new_user": (ADMIN, ADMIN),
    "console.user": (ADMIN, ADMIN),
    "console.activation": (None, ADMIN),
}
#: what a GET answers when it works, when it is not 200
GET_OK = {
    "console.index": {302},  # the index opens the procedures
    "filing.resume": {302},  # the draft opens at its page
}


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
