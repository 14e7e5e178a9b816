"""What comes from a request is judged before it reaches the database: paths, redirect targets,
NUL characters, numbers; and the folders the embedded default is given as relative paths."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from engine import cases
from engine.models import Account, Case, Satisfaction
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, drop_schema, schema_url_and_options
from .portal_helpers import PASSWORD, csrf, fill, make_app

PEOPLE = {
    "a@example.org": ("citizen", ()),
    "b@example.org": ("citizen", ()),
    "agent@example.org": ("agent", ("etat-civil",)),
    "admin@example.org": ("administrator", ()),
}
AGENT = Actor("agent", None, frozenset({"etat-civil"}))


def sign_in(client, email: str) -> None:
    response = client.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/connexion")},
    )
    assert response.status_code == 302, response.status_code


def signed_in(app, email: str | None):
    """A client (signed in as ``email``, unless None) and its CSRF token."""
    client = app.test_client()
    if email:
        sign_in(client, email)
    return client, csrf(client, "/connexion" if email is None else "/mon-profil")


@pytest.fixture
def people():
    return PEOPLE


def file_cases(app) -> dict:
    """Cases of the citizen a@example.org: one open, one waiting for the citizen's answer, one
    closed; and an anonymous closed one. Returns their ids and the anonymous tracking token."""
    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session, session.begin():
        citizen = session.scalars(sa.select(Account).where(Account.email == "a@example.org")).one()
        version = state.runtime.catalogue.current(session, "acte-naissance")

        def new(actor):
            return cases.submit_answers(
                session, state.runtime, version, dict(BIRTH_ANSWERS), actor, state.clock
            )

        mine = Actor("citizen", citizen.id)
        open_case, asking, closed = new(mine), new(mine), new(mine)
        anonymous = new(Actor("citizen"))
        cases.fire(
            session,
            state.runtime,
            asking,
            "demander_precisions",
            AGENT,
            state.clock,
            values={"message": "Une précision, s'il vous plaît."},
        )
        for item in (closed, anonymous):
            cases.fire(
                session,
                state.runtime,
                item,
                "refuser",
                AGENT,
                state.clock,
                values={"motif_refus": "Aucun acte à ce nom."},
            )
        return {
            "open": open_case.id,
            "asking": asking.id,
            "closed": closed.id,
            "token": anonymous.tracking_token,
        }


# -- relative folders --------------------------------------------------------------------------


def test_downloads_work_with_relative_folders(tmp_path, monkeypatch, example_environ, examples):
    """The embedded default names its folders relative to where it starts (var/uploads): they
    are made absolute at start, so that downloads never look for them inside the package."""
    import datetime as dt

    from definitions.scenarios import resolve_dates
    from engine.models import Attachment

    monkeypatch.chdir(tmp_path)
    app = make_app(
        tmp_path,
        PEOPLE,
        UPLOAD_FOLDER="var/uploads",
        VAR_FOLDER="var",
        DATABASE_URL="sqlite:///var/guichet.db",
    )
    procedure, suite = examples["acte-naissance"]
    client = app.test_client()
    sign_in(client, "a@example.org")
    started = client.post(
        "/demarches/acte-naissance/commencer",
        data={"csrf_token": csrf(client, "/demarches/acte-naissance")},
    )
    case_id = int(started.headers["Location"].split("/")[2])
    fill(
        client, procedure, case_id, resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    )
    token = csrf(client, f"/brouillons/{case_id}/verification")
    sent = client.post(
        f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": "r"}
    )
    assert sent.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        attachment = session.scalars(sa.select(Attachment)).first()
    response = client.get(f"/mes-demandes/{case_id}/pieces/{attachment.id}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    response.close()
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "var" / "uploads")
    assert app.config["VAR_FOLDER"] == str(tmp_path / "var")
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'var' / 'guichet.db'}"


def test_connector_folders_of_the_site_config_are_made_absolute(
    tmp_path, monkeypatch, example_environ
):
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, {})
    site = app.extensions["guichet"].runtime.site
    assert site.connectors["mail"].settings["folder"] == str(tmp_path / "var" / "mail")
    assert site.connectors["depot-ged"].settings["path"] == str(tmp_path / "var" / "depots" / "ged")


# -- where to go after signing in --------------------------------------------------------------

EVIL_NEXT = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "evil.example",
    "/\x00/evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "",
]


def test_the_next_check_accepts_local_paths_only():
    from factory.params import local_path

    for target in EVIL_NEXT:
        assert local_path(target) is None, repr(target)
    for target in ("/mes-demandes", "/mes-demandes/3?x=1#haut", "/demarches/acte-naissance"):
        assert local_path(target) == target


def test_sign_in_never_sends_to_another_site(app):
    from urllib.parse import quote

    for target in EVIL_NEXT:
        client = app.test_client()
        url = "/connexion?next=" + quote(target, safe="")
        if "\x00" in target:  # a request with NUL never reaches a view (see below)
            continue
        response = client.post(
            url,
            data={"email": "a@example.org", "password": PASSWORD, "csrf_token": csrf(client, url)},
        )
        assert response.status_code == 302, repr(target)
        assert response.headers["Location"] == "/mes-demandes", repr(target)
        again = client.get(url)  # already signed in
        assert again.status_code == 302 and again.headers["Location"] == "/mes-demandes"


def test_sign_in_goes_back_to_a_local_page(app):
    client = app.test_client()
    url = "/connexion?next=/demarches/acte-naissance"
    response = client.post(
        url, data={"email": "a@example.org", "password": PASSWORD, "csrf_token": csrf(client, url)}
    )
    assert response.headers["Location"] == "/demarches/acte-naissance"


# -- numbers from requests ---------------------------------------------------------------------

BAD_NUMBERS = ["²", "٣", "99999999999999999999999999", "-1", "1e3", "3.0", " 1 2", "0x10"]


def test_numbers_in_the_query_string_are_checked(app):
    ids = file_cases(app)
    agent, _ = signed_in(app, "agent@example.org")
    admin, _ = signed_in(app, "admin@example.org")
    for value in BAD_NUMBERS:
        for client, url in (
            (agent, "/agents/?after={}"),
            (agent, "/agents/?expiring={}"),
            (agent, "/agents/?sort=oldest&after={}"),
            (admin, "/console/journal?after={}"),
            (admin, "/console/journal?case={}"),
        ):
            assert client.get(url.format(value)).status_code == 400, (url, value)
    for client, url in (
        (agent, "/agents/?after={}"),
        (agent, "/agents/?expiring={}"),
        (admin, "/console/journal?after={}"),
        (admin, "/console/journal?case={}"),
        (admin, "/console/journal?account={}"),
    ):
        assert client.get(url.format("")).status_code == 200, url
        assert client.get(url.format("1")).status_code == 200, url
    # an account is an id or an e-mail address: only ids out of bounds are refused
    assert admin.get("/console/journal?account=99999999999999999999999999").status_code == 400
    assert admin.get("/console/journal?account=²").status_code == 200
    assert agent.get(f"/agents/?expiring=30&after={ids['open'] + 1}").status_code == 200


def test_numbers_in_forms_are_checked(app):
    ids = file_cases(app)
    agent, agent_token = signed_in(app, "agent@example.org")
    admin, admin_token = signed_in(app, "admin@example.org")
    citizen, citizen_token = signed_in(app, "a@example.org")
    visitor, visitor_token = signed_in(app, None)
    open_case = f"/agents/dossiers/{ids['open']}"
    for value in BAD_NUMBERS:
        for client, url, data in (
            (agent, f"{open_case}/assign", {"assignee": value}),
            (agent, f"{open_case}/assign", {"assignee": "", "version": value}),
            (agent, f"{open_case}/transitions/delivrer", {"version": value}),
            (admin, "/console/outbox/rejouer", {"message": value}),
            (
                citizen,
                f"/mes-demandes/{ids['asking']}/actions/apporter_precisions",
                {"reponse": "Voici.", "version": value},
            ),
        ):
            token = {agent: agent_token, admin: admin_token, citizen: citizen_token}[client]
            response = client.post(url, data={**data, "csrf_token": token})
            assert response.status_code == 400, (url, data)
        # a rating, signed in or through the tracking link, is a field error
        for client, url, token in (
            (citizen, f"/mes-demandes/{ids['closed']}/satisfaction", citizen_token),
            (visitor, f"/suivi/{ids['token']}/satisfaction", visitor_token),
        ):
            response = client.post(url, data={"rating": value, "csrf_token": token})
            assert response.status_code == 302, (url, value)
        # each selected case of a bulk action is judged on its own
        response = agent.post(
            "/agents/lot", data={"case": value, "transition": "delivrer", "csrf_token": agent_token}
        )
        assert response.status_code == 200
        assert "not found" in response.get_data(as_text=True) or "introuvable" in (
            response.get_data(as_text=True)
        )
    with app.extensions["guichet"].sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Satisfaction)) == 0
        assert session.get(Case, ids["open"]).state == "recue"
        assert session.get(Case, ids["asking"]).state == "attente_usager"
    rated = citizen.post(
        f"/mes-demandes/{ids['closed']}/satisfaction",
        data={"rating": "4", "csrf_token": citizen_token},
    )
    assert rated.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        assert session.get(Satisfaction, ids["closed"]).rating == 4


def test_ids_in_paths_out_of_bounds_are_not_found(app):
    file_cases(app)
    citizen, _ = signed_in(app, "a@example.org")
    agent, _ = signed_in(app, "agent@example.org")
    admin, _ = signed_in(app, "admin@example.org")
    paths = (
        (citizen, "/mes-demandes/{}"),
        (citizen, "/mes-demandes/{}/pieces/x"),
        (citizen, "/brouillons/{}"),
        (citizen, "/brouillons/{}/verification"),
        (citizen, "/demandes/{}/recu"),
        (agent, "/agents/dossiers/{}"),
        (agent, "/agents/dossiers/{}/transitions/delivrer"),
        (admin, "/console/utilisateurs/{}"),
    )
    for value in ("99999999999999999999999999", "2147483648", "٣", "²", "-1", "0", "1e3"):
        for client, path in paths:
            assert client.get(path.format(value)).status_code == 404, (path, value)
    assert citizen.get("/mes-demandes/3").status_code == 200


def test_group_actions_with_malformed_indexes_change_nothing(app):
    citizen, token = signed_in(app, "a@example.org")
    started = citizen.post(
        "/demarches/inscription-periscolaire/commencer", data={"csrf_token": token}
    )
    case_id = int(started.headers["Location"].split("/")[2])
    url = f"/brouillons/{case_id}/page_enfants"
    assert citizen.get(url).status_code == 200
    for value in ("²", "٣", "9" * 5000, "-1", "1e3"):
        response = citizen.post(
            url, data={"action": f"remove:enfants:{value}", "csrf_token": token}
        )
        assert response.status_code in (200, 422), value
    response = citizen.post(url, data={"action": "add:enfants", "csrf_token": token})
    assert response.status_code == 200


# -- on PostgreSQL: NUL characters -------------------------------------------------------------

SCHEMA = "hostile_requests_test"


@pytest.fixture
def pg_app(tmp_path, example_environ):
    """The example site on PostgreSQL, in a schema of its own."""
    url, _options = schema_url_and_options(SCHEMA)
    app = make_app(tmp_path, PEOPLE, DATABASE_URL=f"{url}?options=-csearch_path%3D{SCHEMA}")
    yield app
    app.extensions["guichet"].engine.dispose()
    drop_schema(url, SCHEMA)


def test_nul_characters_are_refused_everywhere(pg_app):
    app = pg_app
    ids = file_cases(app)
    citizen, citizen_token = signed_in(app, "a@example.org")
    agent, agent_token = signed_in(app, "agent@example.org")
    admin, admin_token = signed_in(app, "admin@example.org")
    visitor, visitor_token = signed_in(app, None)
    started = visitor.post(
        "/demarches/signalement-voirie/commencer", data={"csrf_token": visitor_token}
    )
    draft_page = started.headers["Location"]
    nul = "a\x00b"
    own = f"/mes-demandes/{ids['open']}"
    staff = f"/agents/dossiers/{ids['open']}"
    gets = [
        (visitor, "/suivi/a%00b"),
        (visitor, "/demarches/a%00b"),
        (visitor, "/brouillons/reprendre/a%00b"),
        (visitor, "/compte/confirmer/a%00b"),
        (visitor, "/?q=a%00b"),
        (visitor, "/?lang=a%00b"),
        (visitor, "/connexion?next=/a%00b"),
        (visitor, f"/suivi/{ids['token']}/pieces/a%00b"),
        (citizen, f"{own}/pieces/a%00b"),
        (citizen, f"/brouillons/{ids['open']}/a%00b"),
        (agent, "/agents/?q=a%00b"),
        (agent, "/agents/?procedure=a%00b&state=a%00b&channel=a%00b"),
        (agent, f"{staff}/transitions/a%00b"),
        (agent, "/agents/tableaux-de-bord/a%00b"),
        (agent, "/agents/tableaux-de-bord/?departement=a%00b"),
        (agent, "/agents/export.csv?procedure=a%00b"),
        (admin, "/console/journal?account=a%00b"),
        (admin, "/console/procedures/a%00b"),
    ]
    posts = [
        (visitor, "/connexion", {"email": nul, "password": nul}),
        (visitor, "/compte/creer", {"email": f"x{nul}@example.org", "password": nul}),
        (visitor, "/compte/mot-de-passe-oublie", {"email": f"x{nul}@example.org"}),
        (visitor, draft_page, {"description": nul, "nav": "next"}),
        (visitor, draft_page, {nul: "x", "nav": "next"}),
        (visitor, f"/suivi/{ids['token']}/message", {"body": nul}),
        (visitor, f"/suivi/{ids['token']}/satisfaction", {"rating": "4", "comment": nul}),
        (citizen, f"{own}/message", {"body": nul}),
        (citizen, f"{own}/relance", {"comment": nul}),
        (citizen, "/mon-profil", {"name": nul, "given_name": nul}),
        (
            citizen,
            f"/mes-demandes/{ids['asking']}/actions/apporter_precisions",
            {"reponse": nul},
        ),
        (agent, f"{staff}/note", {"body": nul}),
        (agent, f"{staff}/message", {"body": nul}),
        (agent, f"{staff}/transitions/demander_precisions", {"message": nul}),
        (agent, "/agents/depot", {"procedure": nul, "channel": "phone", "email": nul}),
        (agent, "/agents/lot", {"case": str(ids["open"]), "transition": nul}),
        (admin, "/console/utilisateurs/nouveau", {"email": nul, "name": nul, "kind": "agent"}),
        (admin, "/console/outbox/rejouer", {"connector": nul}),
    ]
    tokens = {
        visitor: visitor_token,
        citizen: citizen_token,
        agent: agent_token,
        admin: admin_token,
    }
    for client, url in gets:
        assert client.get(url).status_code == 400, url
    for client, url, data in posts:
        response = client.post(url, data={**data, "csrf_token": tokens[client]})
        assert response.status_code == 400, (url, data)
    response = visitor.post(
        "/connexion", json={"email": nul}, headers={"X-CSRFToken": visitor_token}
    )
    assert response.status_code == 400
    # nothing was stored, and the same requests without NUL still work
    with app.extensions["guichet"].sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Satisfaction)) == 0
    assert visitor.get("/?q=ab").status_code == 200
    assert agent.get("/agents/?q=ab").status_code == 200
    assert (
        citizen.post(f"{own}/message", data={"body": "ab", "csrf_token": citizen_token}).status_code
        == 302
    )


# -- on PostgreSQL: a double-clicked submit ----------------------------------------------------


def test_a_double_clicked_submit_lands_on_the_receipt(pg_app, examples):
    """20 replays of the same final POST at the same instant: one case is stored, and every
    replay is sent to its receipt."""
    import datetime as dt

    from definitions.scenarios import resolve_dates

    app = pg_app
    procedure, suite = examples["signalement-voirie"]
    filer = app.test_client()
    started = filer.post(
        "/demarches/signalement-voirie/commencer",
        data={"csrf_token": csrf(filer, "/demarches/signalement-voirie")},
    )
    case_id = int(started.headers["Location"].split("/")[2])
    answers = resolve_dates(dict(suite.scenarios[0].answers), dt.date.today())
    fill(filer, procedure, case_id, answers)
    token = csrf(filer, f"/brouillons/{case_id}/verification")
    cookie = filer.get_cookie("session").value
    barrier = threading.Barrier(20)

    def replay(_number):
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        response = client.post(
            f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": "double"}
        )
        return response.status_code, response.headers.get("Location")

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(replay, range(20)))
    assert answers == [(302, f"/demandes/{case_id}/recu")] * 20
    with app.extensions["guichet"].sessions() as session:
        submitted = session.scalars(sa.select(Case).where(Case.submitted_at.is_not(None))).all()
        assert [c.id for c in submitted] == [case_id]
        assert submitted[0].reference
    assert filer.get(f"/demandes/{case_id}/recu").status_code == 200


def test_the_same_submission_made_twenty_times_at_once_is_one_case(runtime, clock):
    """The engine's own idempotency (the API, the counter): 20 submissions of the same answers
    with the same key at the same instant store one case, and each is given it."""
    from engine.catalogue import publish_folder
    from engine.db import Base, make_engine, make_session_factory

    from ..conftest import EXAMPLES

    schema = "hostile_requests_engine_test"
    url, options = schema_url_and_options(schema)
    engine = make_engine(url, pool_size=25, **options)
    try:
        Base.metadata.create_all(engine)
        sessions = make_session_factory(engine)
        with sessions() as session, session.begin():
            version = next(
                v
                for v in publish_folder(session, runtime, EXAMPLES, clock=clock)
                if v.slug == "acte-naissance"
            )
        barrier = threading.Barrier(20)

        def submit(_number):
            with sessions() as session:
                barrier.wait()
                case = cases.submit_answers(
                    session,
                    runtime,
                    version,
                    dict(BIRTH_ANSWERS),
                    Actor("citizen"),
                    clock,
                    idempotency_key="same-key",
                )
                session.commit()
                return case.id

        with ThreadPoolExecutor(max_workers=20) as pool:
            ids = list(pool.map(submit, range(20)))
        with sessions() as session:
            stored = session.scalars(sa.select(Case.id).where(Case.submitted_at.is_not(None)))
            assert list(stored) == [ids[0]]
        assert set(ids) == {ids[0]}
    finally:
        engine.dispose()
        drop_schema(url, schema)
