"""Fuzzing the portal's forms: random form data on the citizens' main routes.

Odd characters, very long texts, unexpected and repeated keys, missing fields, random
navigation buttons: the answer is never a 500 (any 2xx, 3xx or 4xx is fine), and nothing is
left half-written: a refused page leaves the draft as it was, a refused submission leaves it
a draft, a refused sign-up creates no account. The app runs on SQLite, with CSRF disabled so
that the data reaches the handlers (and with CSRF enabled, to check that a post without a
valid token is refused and changes nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import json

import pytest
import sqlalchemy as sa
from hypothesis import event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from definitions.folders import check_paths
from definitions.scenarios import resolve_dates
from engine.models import Account, Attachment, Case, CaseEvent, Message, OutboxMessage

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
from ..fuzz_strategies import budget, odd_text, request_text
from .portal_helpers import PASSWORD, csrf, fill, make_app

CITIZEN = "fuzz@example.org"


@functools.cache
def examples():
    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    assert result.problems == []
    return {p.slug: (p, result.suites[(p.slug, p.version)]) for p in result.procedures}


SLUGS = sorted(examples())


def good_answers(slug: str) -> dict:
    procedure, suite = examples()[slug]
    scenario = next(s for s in suite.scenarios if not s.expect_errors)
    return resolve_dates(dict(scenario.answers), dt.date.today())


class Portal:
    """The app, a signed-in citizen, and for each example a draft filled up to its review
    (whose answers new drafts copy), and a submitted anonymous case to follow by its link."""

    def __init__(self, app):
        self.app = app
        self.state = app.extensions["guichet"]
        self.signed_in = app.test_client()
        response = self.signed_in.post("/connexion", data={"email": CITIZEN, "password": PASSWORD})
        assert response.status_code == 302
        self.filled: dict[str, dict] = {}
        for slug in SLUGS:
            procedure, _suite = examples()[slug]
            client = self.client(slug)
            case_id = self.start(client, slug)
            fill(client, procedure, case_id, good_answers(slug))
            self.filled[slug] = self.case(case_id).answers
        anonymous = app.test_client()
        case_id = self.start(anonymous, "signalement-voirie", self.filled["signalement-voirie"])
        response = anonymous.post(f"/brouillons/{case_id}/envoi", data={"submission": "track"})
        assert response.status_code == 302, response.status_code
        self.tracking_token = self.case(case_id).tracking_token
        assert self.tracking_token

    def client(self, slug: str):
        """A signed-in client for procedures that need an account, a new browser otherwise."""
        procedure, _suite = examples()[slug]
        return self.signed_in if procedure.login == "required" else self.app.test_client()

    def start(self, client, slug: str, answers: dict | None = None) -> int:
        # "new": a draft of the procedure may exist, which would be offered instead
        response = client.post(f"/demarches/{slug}/commencer", data={"new": "yes"})
        assert response.status_code == 302, response.status_code
        case_id = int(response.headers["Location"].split("/")[2])
        if answers is not None:
            with self.state.sessions() as session, session.begin():
                session.get(Case, case_id).answers = dict(answers)
        return case_id

    def case(self, case_id: int) -> Case:
        with self.state.sessions() as session:
            case = session.get(Case, case_id)
            session.expunge(case)
            return case

    def counts(self) -> dict[str, int]:
        with self.state.sessions() as session:
            return {
                model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Account, Attachment, Case, CaseEvent, Message, OutboxMessage)
            }


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in EXAMPLE_ENVIRON.items():
            patch.setenv(name, value)
        app = make_app(
            tmp_path_factory.mktemp("portal"),
            {CITIZEN: ("citizen", ())},
            WTF_CSRF_ENABLED=False,
        )
        yield Portal(app)


def assert_no_server_error(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code)


# -- form data ---------------------------------------------------------------------------------


def names_of(field, prefix: str | None = None) -> list[str]:
    """The names under which the renderers post a field (see tests/portal_helpers.py)."""
    name = prefix or field.id
    if field.type == "address":
        return [f"{name}-{key}" for key in ("street", "postcode", "city", "country")]
    if field.type == "location":
        return [f"{name}-lat", f"{name}-lon"]
    if field.type == "group":
        return [
            n
            for index in range(2)
            for sub in field.fields
            for n in names_of(sub, f"{name}-{index}-{sub.id}")
        ]
    return [name]


@st.composite
def form_data(draw, page, groups: tuple[str, ...]) -> MultiDict:
    """A page's form data: each field missing, once, or repeated, with any text; unexpected
    keys; the page's buttons and the renderers' group buttons with any value."""
    data = MultiDict()
    for field in page.fields:
        for name in names_of(field):
            if field.type == "file":  # never a real upload here (uploads are tested elsewhere)
                values = draw(st.lists(request_text(), max_size=1))
            else:
                values = draw(st.lists(request_text(), max_size=3))
            for value in values:
                data.add(name, value)
    for key, value in draw(st.lists(st.tuples(odd_text(20), request_text()), max_size=3)):
        data.add(key, value)
    nav = draw(st.sampled_from([None, "next", "back", "save", "", "nope"]) | odd_text(10))
    if nav is not None:
        data.add("nav", nav)
    action = draw(
        st.sampled_from(
            [None, None, None, "add:", "remove:", "remove:x:0", "add:nope"]
            + [f"add:{g}" for g in groups]
            + [f"remove:{g}:{i}" for g in groups for i in (0, 1, 5)]
        )
        | odd_text(10)
    )
    if action is not None:
        data.add("action", action)
    return data


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- the pages of every example, then the review and the submission ------------------------------


@settings(max_examples=budget(200))
@given(st.data(), st.sampled_from(SLUGS), st.booleans())
def test_random_page_posts_never_fail_nor_half_write(portal, data, slug, multipart):
    procedure, _suite = examples()[slug]
    client = portal.client(slug)
    case_id = portal.start(client, slug, portal.filled[slug])
    page = data.draw(st.sampled_from(procedure.form.pages), label="page")
    groups = tuple(f.id for f in page.fields if f.type == "group")
    form = data.draw(form_data(page, groups), label="form")
    query = data.draw(st.sampled_from(["", "?from=review", "?from=" + "x" * 50]), label="query")
    before, counts = portal.case(case_id), portal.counts()
    url = f"/brouillons/{case_id}/{page.id}{query}"
    if multipart:  # encoded in memory: the test client spools large bodies to files it leaks
        boundary, body = encode_multipart(form)
        response = client.post(
            url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
    else:
        response = client.post(url, data=form)
    assert_no_server_error(response, "page")
    event(f"page: {response.status_code}")
    after = portal.case(case_id)
    assert after.is_draft
    if response.status_code == 302:
        ids = {f.id for f in page.fields}
        untouched = {k: v for k, v in before.answers.items() if k not in ids}
        assert {k: v for k, v in after.answers.items() if k not in ids} == untouched
        _json(after.answers)
    else:  # refused, or shown again (a group's button): nothing is saved
        assert _json(after.answers) == _json(before.answers)
        assert portal.counts()["Attachment"] == counts["Attachment"]
    # whatever was saved, the review page shows it and the submission judges it
    assert_no_server_error(client.get(f"/brouillons/{case_id}/verification"), "review")
    key = data.draw(st.none() | request_text(), label="submission key")
    counts = portal.counts()
    response = client.post(
        f"/brouillons/{case_id}/envoi", data={} if key is None else {"submission": key}
    )
    assert_no_server_error(response, "submit")
    event(f"submit: {response.status_code}")
    submitted = portal.case(case_id)
    if response.status_code == 302:
        assert not submitted.is_draft and submitted.reference and submitted.state
        assert portal.counts()["OutboxMessage"] > counts["OutboxMessage"]
    else:
        assert submitted.is_draft and submitted.reference is None
        assert portal.counts() == counts


def test_a_multipart_part_without_a_name_is_ignored(portal):
    """Found by the test above: a part whose name breaks its header (``name="\r"``) reached
    the forms with a ``None`` key, and a page with a group failed on it (a 500)."""
    slug = "inscription-periscolaire"
    client = portal.client(slug)
    case_id = portal.start(client, slug, portal.filled[slug])
    before = portal.case(case_id).answers
    boundary, body = encode_multipart(MultiDict([("\r", ""), ("nav", "next")]))
    response = client.post(
        f"/brouillons/{case_id}/page_enfants",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422  # the group's items are missing: a field error
    assert _json(portal.case(case_id).answers) == _json(before)


def test_a_submission_key_of_another_case_is_not_honoured(portal):
    """Found by the test above: a submission key already used by another case answered with
    that case, left this draft unsubmitted, and showed the other case's receipt."""
    first, second = portal.app.test_client(), portal.app.test_client()
    answers = portal.filled["signalement-voirie"]
    one = portal.start(first, "signalement-voirie", answers)
    two = portal.start(second, "signalement-voirie", answers)
    assert first.post(f"/brouillons/{one}/envoi", data={"submission": "k"}).status_code == 302
    response = second.post(f"/brouillons/{two}/envoi", data={"submission": "k"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/demandes/{two}/recu")
    assert not portal.case(two).is_draft and portal.case(two).reference
    assert second.get(f"/demandes/{one}/recu").status_code == 404
    # the same key again on the same case is still a replay
    assert second.post(f"/brouillons/{two}/envoi", data={"submission": "k"}).status_code == 302


@settings(max_examples=budget(60))
@given(st.sampled_from(SLUGS), st.lists(st.tuples(odd_text(20), request_text()), max_size=4))
def test_starting_a_draft_with_random_data(portal, slug, pairs):
    client = portal.client(slug)
    response = client.post(f"/demarches/{slug}/commencer", data=MultiDict(pairs))
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        assert response.status_code == 400  # NUL characters are refused, whatever the field
    else:
        # a new draft, or the page offering to resume the one already there
        assert response.status_code == 302
    assert_no_server_error(client.get(f"/demarches/{slug}"), "start page")


@settings(max_examples=budget(80))
@given(
    request_text(),
    st.sampled_from(["/", "/demarches/", "/brouillons/", "/suivi/", "/brouillons/reprendre/"]),
    odd_text(30),
)
def test_catalogue_search_and_unknown_addresses(portal, query, prefix, tail):
    client = portal.app.test_client()
    assert_no_server_error(client.get("/", query_string={"q": query}), "catalogue")
    url = prefix + "".join(c for c in tail if c not in "?#")
    assert_no_server_error(client.get(url), url)
    assert_no_server_error(client.post(url, data={"q": query}), url)


# -- the tracking link -------------------------------------------------------------------------


@settings(max_examples=budget(120))
@given(
    st.sampled_from(["message", "relance", "satisfaction", "actions/nope", "pieces/nope"]),
    st.booleans(),
    st.lists(
        st.tuples(
            st.sampled_from(["body", "comment", "rating", "version"]) | odd_text(12),
            request_text(),
        ),
        max_size=4,
    ),
)
def test_tracking_link_posts(portal, action, real_token, pairs):
    client = portal.app.test_client()
    real = portal.tracking_token
    # a forged token differs from the real one in its last character
    token = real if real_token else real[:-1] + ("B" if real.endswith("A") else "A")
    counts = portal.counts()
    response = client.post(f"/suivi/{token}/{action}", data=MultiDict(pairs))
    assert_no_server_error(response, action)
    assert_no_server_error(client.get(f"/suivi/{token}"), "tracking page")
    if not real_token:
        # a forged link opens nothing (400 when the post itself is refused first: a NUL)
        assert response.status_code in (400, 404, 405)
        assert portal.counts() == counts


# -- accounts ----------------------------------------------------------------------------------

_EMAILS = st.one_of(
    request_text(),
    st.sampled_from([CITIZEN, CITIZEN.upper(), f" {CITIZEN} ", "new@example.org"]),
    odd_text(20).map(lambda s: s + "@example.org"),
)


@settings(max_examples=budget(60))
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "name": request_text(),
            "email": _EMAILS,
            "password": st.one_of(request_text(), st.just(PASSWORD)),
            "confirm": st.one_of(request_text(), st.just(PASSWORD)),
        },
    ),
    st.lists(st.tuples(odd_text(12), request_text()), max_size=2),
)
def test_sign_up_with_random_data(portal, fields, extra):
    counts = portal.counts()
    response = portal.app.test_client().post(
        "/compte/creer", data=MultiDict(list(fields.items()) + extra)
    )
    assert_no_server_error(response, "sign-up")
    if response.status_code != 302:
        assert portal.counts()["Account"] == counts["Account"]


@settings(max_examples=budget(80))
@given(
    st.sampled_from(["/connexion", "/compte/mot-de-passe-oublie"]),
    st.fixed_dictionaries(
        {}, optional={"email": _EMAILS, "password": st.one_of(request_text(), st.just(PASSWORD))}
    ),
    st.lists(st.tuples(odd_text(12), request_text()), max_size=2),
)
def test_sign_in_and_forgotten_password_with_random_data(portal, url, fields, extra):
    counts = portal.counts()
    response = portal.app.test_client().post(url, data=MultiDict(list(fields.items()) + extra))
    assert_no_server_error(response, url)
    assert portal.counts()["Account"] == counts["Account"]


# -- with CSRF enabled: no token, no change ----------------------------------------------------


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in EXAMPLE_ENVIRON.items():
            patch.setenv(name, value)
        app = make_app(tmp_path_factory.mktemp("guarded"), {CITIZEN: ("citizen", ())})
        client = app.test_client()
        response = client.post(
            f"/demarches/{'signalement-voirie'}/commencer",
            data={"csrf_token": csrf(client, "/demarches/signalement-voirie")},
        )
        case_id = int(response.headers["Location"].split("/")[2])
        yield app, client, case_id


@settings(max_examples=budget(60))
@given(
    st.sampled_from(
        [
            "/demarches/signalement-voirie/commencer",
            "/brouillons/{case}/localisation",
            "/brouillons/{case}/envoi",
            "/compte/creer",
            "/connexion",
            "/compte/mot-de-passe-oublie",
            "/deconnexion",
        ]
    ),
    st.none() | request_text(),
    st.lists(st.tuples(odd_text(12), request_text()), max_size=3),
)
def test_posts_without_a_valid_csrf_token_change_nothing(guarded, url, token, pairs):
    app, client, case_id = guarded
    state = app.extensions["guichet"]

    def snapshot():
        with state.sessions() as session:
            cases = session.scalars(sa.select(Case).order_by(Case.id)).all()
            return [(c.id, _json(c.answers), c.reference) for c in cases], session.scalar(
                sa.select(sa.func.count()).select_from(Account)
            )

    before = snapshot()
    data = MultiDict(pairs)
    if token is not None:
        data["csrf_token"] = token
    response = client.post(url.format(case=case_id), data=data)
    assert response.status_code == 400
    assert snapshot() == before
