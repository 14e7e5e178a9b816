"""Security claims over the whole URL map, with CSRF protection on.

- every state-changing route refuses a missing, a forged, and another session's CSRF token
  with a 400 page in French, and changes nothing; with its own token the same request works
  and (where it changes something) changes the database; the REST API's routes, which take
  no CSRF token but a bearer token, refuse a signed-in session whatever its CSRF token (401)
  and change nothing, and work with the bearer token alone;
- every route that serves a file answers it as an attachment, of a type no browser runs or
  renders, with ``nosniff`` (uploaded files are stored here with hostile declared types);
- personal pages and every back-office and console page are sent with ``no-store``.

A route the tables below do not know makes a test fail, asking to be described.
"""

from __future__ import annotations

import pytest

from .route_access import ACCESS, API_ACCESS, OK
from .route_world import (
    ACTORS,
    HOSTILE_FILES,
    POSTS,
    STATE_CHANGING,
    World,
    changed_tables,
    routes,
)

#: Routes that serve a file, and what kind of file.
UPLOAD, EXPORT, SCHEMA, PDF, PERSONAL_DATA, SEARCH, API_DOCUMENT = (
    "upload", "export", "schema", "pdf", "personal data", "search", "api document"
)
FILES = {
    "space.attachment": UPLOAD,
    "space.attachment_token": UPLOAD,
    "backoffice.attachment": UPLOAD,
    # what Guichet writes: receipts and the workflow's documents (no case of the world has
    # a certificate of implicit decision: tests/factory/test_legal_documents.py serves one)
    "space.receipt_pdf": PDF,
    "space.receipt_pdf_token": PDF,
    "space.document": PDF,
    "space.document_token": PDF,
    "backoffice.document": PDF,
    "exports.csv": EXPORT,
    "exports.xlsx": EXPORT,
    "console.procedure_schema": SCHEMA,  # what the console's editor completes from
    "space.my_data_json": PERSONAL_DATA,
    "filing.address_search": SEARCH,  # what an address field's search suggests
    "api.download_attachment": UPLOAD,
    # the API's description, read by programs (not a file a person saves): JSON, not an
    # attachment, never sniffed
    "api.openapi": API_DOCUMENT,
}
#: The client whose bearer token fetches the API's files.
API_READER = "etat-civil"
#: What a download may be sent as: nothing a browser would render as a page, an image
#: with scripts, or run.
SAFE_TYPES = {
    UPLOAD: {"application/octet-stream", "application/pdf", "image/png", "image/jpeg"},
    EXPORT: {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    SCHEMA: {"application/json"},
    PDF: {"application/pdf"},
    PERSONAL_DATA: {"application/json"},
    SEARCH: {"application/json"},
    API_DOCUMENT: {"application/json"},
}
#: Routes that answer machines (probes, Prometheus), not people, and the type they answer:
#: never a download, never a page.
PROBES = {
    "ops.healthz": "application/json",
    "ops.readyz": "application/json",
    "ops.metrics": "text/plain",
}
#: The public pages a visitor who is not signed in may keep in a cache; everything else is
#: personal, or for staff.
CACHEABLE = {
    "portal.catalogue",
    "portal.accessibility",
    "portal.privacy",
    "portal.legal_notice",
    "filing.start",
}
EXPIRED = "Le formulaire a expiré"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("route-security"))


@pytest.fixture(scope="module")
def answers(world):
    """(route, actor, response) for every GET route and every actor."""
    found = []
    for actor in ACTORS:
        client = world.client(actor)
        for route in routes(world.app):
            if "GET" in route.methods:
                response = client.get(world.url(route))
                response.close()  # downloads are streamed from files
                found.append((route, actor, response))
    return found


def test_the_tables_name_real_routes(world):
    names = {route.name for route in routes(world.app)}
    assert set(FILES) - names == set()
    assert CACHEABLE - names == set()


# -- CSRF --------------------------------------------------------------------------------------


def _forged(token: str) -> str:
    """The token with its signature changed."""
    tail = "AAAAA" if not token.endswith("AAAAA") else "BBBBB"
    return token[:-5] + tail


def test_every_state_changing_route_refuses_a_bad_csrf_token(world):
    wrong = []
    posted = 0
    for route in routes(world.app):
        if not route.methods & STATE_CHANGING:
            continue
        posted += 1
        post = POSTS[route.name]  # test_access checks that every route has its line
        if post.bearer is not None:
            wrong += _token_route_problems(world, route, post)
            continue
        world.restore()
        client = world.new_client(post.actor) if post.own_client else world.client(post.actor)
        other = world.client("citizen_b" if post.actor != "citizen_b" else "citizen_a")
        url = world.url(route, post.url)
        data = world.post_data(post)
        valid = world.token(client)
        before = world.snapshot()
        tokens = {
            "missing": None,
            "forged": _forged(valid),
            "another session's": world.token(other),
        }
        for what, token in tokens.items():
            sent = data if token is None else data | {"csrf_token": token}
            response = client.post(url, data=sent)
            page = response.get_data(as_text=True)
            if response.status_code != 400 or EXPIRED not in page:
                wrong.append(f"{route.rule} with a {what} token: {response.status_code}")
            elif "no-store" not in response.headers.get("Cache-Control", ""):
                wrong.append(f"{route.rule} with a {what} token: the error page may be stored")
            changed = changed_tables(before, world.snapshot())
            if changed:
                wrong.append(f"{route.rule} with a {what} token changed {changed}")
        # the same request with the session's own token works: the refusals above were the
        # token's doing
        response = client.post(url, data=data | {"csrf_token": valid})
        if response.status_code not in post.ok:
            wrong.append(
                f"{route.rule} with its token: {response.status_code}, expected {set(post.ok)}"
            )
        elif post.changes and not changed_tables(before, world.snapshot()):
            wrong.append(f"{route.rule} with its token changed nothing: fix its POSTS line")
    world.restore()
    assert posted >= len(POSTS)
    assert wrong == []


def _token_route_problems(world, route, post) -> list[str]:
    """A route of the REST API: a signed-in session (``post.actor``, who may act on the case
    in the back office) with its valid CSRF token, or a missing or forged one, and no bearer
    token, is refused (401) and changes nothing; the bearer token alone, with no CSRF token
    and no session, works."""
    wrong = []
    world.restore()
    url = world.url(route, post.url)
    session = world.client(post.actor)
    valid = world.token(session)
    before = world.snapshot()
    for what, token in {"valid": valid, "missing": None, "forged": _forged(valid)}.items():
        arguments = world.api_request(post, None)
        if token is not None:
            arguments["headers"] = {**arguments["headers"], "X-CSRFToken": token}
        response = session.post(url, **arguments)
        if response.status_code != 401:
            wrong.append(
                f"{route.rule} from a session with a {what} CSRF token: {response.status_code}"
            )
        changed = changed_tables(before, world.snapshot())
        if changed:
            wrong.append(f"{route.rule} from a session with a {what} CSRF token changed {changed}")
    response = world.app.test_client().post(url, **world.api_request(post, post.bearer))
    if response.status_code not in post.ok:
        wrong.append(
            f"{route.rule} with its bearer token: {response.status_code}, expected {set(post.ok)}"
        )
    elif post.changes and not changed_tables(before, world.snapshot()):
        wrong.append(f"{route.rule} with its bearer token changed nothing: fix its POSTS line")
    world.restore()
    return wrong


# -- files -------------------------------------------------------------------------------------


def _download_problems(route, actor, response) -> list[str]:
    kind = FILES[route.name]
    where = f"{route.rule} as {actor}"
    problems = []
    if response.status_code != 200:
        return [f"{where}: {response.status_code}"]
    disposition = response.headers.get("Content-Disposition", "")
    if kind != API_DOCUMENT and not disposition.startswith("attachment"):
        problems.append(f"{where}: Content-Disposition {disposition!r}, not an attachment")
    if response.mimetype not in SAFE_TYPES[kind]:
        problems.append(f"{where}: served as {response.mimetype}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    if "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"{where}: may be stored ({response.headers.get('Cache-Control')})")
    return problems


def test_every_download_is_an_attachment_of_a_safe_type(world):
    wrong = []
    served = set()
    for route in routes(world.app):
        if route.name not in FILES:
            continue
        readers = [(actor, world.client(actor), {}) for actor in ACTORS]
        if route.name in API_ACCESS:  # token-authenticated: no session reaches it
            bearer = {"Authorization": f"Bearer {world.tokens[API_READER]}"}
            readers = [(API_READER, world.app.test_client(), bearer)]
        for actor, client, headers in readers:
            if not headers and ACCESS[route.name][0][actor] != OK:
                continue
            response = client.get(world.url(route), headers=headers)
            body = response.get_data()
            response.close()
            wrong += _download_problems(route, actor, response)
            if FILES[route.name] == UPLOAD:
                identifier = world.values(route)["attachment_id"]
                assert body == HOSTILE_FILES[identifier][2], route.rule
            served.add(route.name)
    assert served == set(FILES)
    assert wrong == []


def test_every_route_that_serves_a_file_is_described(world, answers):
    """Whatever answers something else than a page, or a download, must be in FILES."""
    wrong = [
        f"{route.rule} serves {response.mimetype}: add it to FILES"
        for route, _actor, response in answers
        if route.name not in FILES
        and route.name not in PROBES
        and response.status_code == 200
        and (response.mimetype != "text/html" or "Content-Disposition" in response.headers)
    ]
    assert wrong == []


def test_probes_answer_their_type_never_as_a_page_nor_stored(world, answers):
    wrong = []
    seen = set()
    for route, actor, response in answers:
        if route.name not in PROBES:
            continue
        seen.add(route.name)
        where = f"{route.rule} as {actor}"
        if response.status_code != 200 or response.mimetype != PROBES[route.name]:
            wrong.append(f"{where}: {response.status_code} {response.mimetype}")
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            wrong.append(f"{where}: no X-Content-Type-Options: nosniff")
        if "no-store" not in response.headers.get("Cache-Control", ""):
            wrong.append(f"{where}: may be stored")
        if "Content-Disposition" in response.headers:
            wrong.append(f"{where}: a download")
    assert seen == set(PROBES)
    assert wrong == []


# -- caches ------------------------------------------------------------------------------------


def _storable(response) -> bool:
    return "no-store" not in response.headers.get("Cache-Control", "")


def test_personal_and_staff_pages_are_never_stored(world, answers):
    """Every answer but the public pages read by a visitor (and static files) carries
    Cache-Control: no-store, whatever its status: pages, redirects, refusals, downloads."""
    wrong = [
        f"GET {route.rule} as {actor} ({response.status_code}) may be stored"
        for route, actor, response in answers
        if not (route.name in CACHEABLE and actor == "anonymous") and _storable(response)
    ]
    for route in routes(world.app):
        if not route.methods & STATE_CHANGING:
            continue
        post = POSTS[route.name]
        world.restore()
        for actor in {post.actor, "citizen_b", "anonymous"}:
            client = world.new_client(actor) if post.own_client else world.client(actor)
            data = world.post_data(post) | {"csrf_token": world.token(client)}
            response = client.post(world.url(route, post.url), data=data)
            if _storable(response):
                wrong.append(f"POST {route.rule} as {actor} ({response.status_code}) may be stored")
    world.restore()
    assert wrong == []


def test_public_pages_and_static_files_stay_cacheable(world):
    visitor = world.app.test_client()
    visitor.get("/")  # the first visit may set the session
    assert not _storable(world.client("citizen_a").get("/"))  # a signed-in page is personal
    assert _storable(visitor.get("/"))
    assert _storable(visitor.get("/accessibilite"))
    for client in (visitor, world.client("agent")):
        response = client.get("/static/guichet.css")
        assert response.status_code == 200
        assert _storable(response)
        response.close()
