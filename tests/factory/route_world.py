"""One object of every kind, every route of ``app.url_map`` with real ids, and what each
state-changing route is posted with: what the route tables of ``test_access.py`` and
``test_route_security.py`` walk.

The world runs with CSRF protection on. Its database is SQLite, copied aside once built, so
that a test can put it back as it was (``World.restore``) after a POST changed it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sqlite3
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import url_for

from connectors.prefill.testing import StaticPrefillSource
from definitions.folders import check_paths
from definitions.scenarios import resolve_dates
from engine import cases
from engine.clock import FrozenClock
from engine.db import Base
from engine.models import (
    Attachment,
    Document,
    InternalNote,
    Message,
    OutboxMessage,
    SavedFilter,
)
from engine.workflow import Actor

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

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
    # not an actor: the staff account the console's account pages act on
    "staff": ("renfort@example.org", "agent", ("etat-civil",)),
}
#: The REST API's clients: name -> (departments, scopes, as an agent). The API is
#: token-authenticated: its routes are walked with these tokens (and, to show that a session
#: opens nothing there, with every signed-in actor and no token).
API_CLIENTS = {
    "etat-civil": (
        ("etat-civil",),
        ("cases:read", "cases:write", "documents:read", "procedures:read", "events:read"),
        True,
    ),
    "voirie": (
        ("voirie",),
        ("cases:read", "cases:write", "documents:read", "procedures:read", "events:read"),
        True,
    ),
    "lecteur": (("etat-civil",), ("cases:read",), False),
}
#: The blueprint of the token-authenticated routes.
API_BLUEPRINT = "api"
#: Endpoints that serve the application's own assets: nobody's data, no table to describe them.
STATIC_ENDPOINTS = ("static", "renderers.static")
#: Routes whose token is a signed one sent by e-mail: walked with a forged token.
FORGED_TOKEN_ENDPOINTS = ("auth.confirm", "auth.reset", "filing.resume_link")
#: Routes whose token is a case's tracking link.
TRACKING_TOKEN_ENDPOINTS = (
    "space.tracking",
    "space.attachment",
    "space.receipt_pdf",
    "space.certificate_pdf",
    "space.document",
    "space.message",
    "space.reminder",
    "space.satisfaction",
    "filing.citizen_action",
)
#: Routes whose case is the citizen's draft.
DRAFT_ENDPOINTS = (
    "filing.resume",
    "filing.page",
    "filing.review",
    "filing.submit",
    "filing.delete_draft",
    "filing.address_search",
)

#: Uploaded files whose declared type a browser would run or render: a download must never
#: pass it on.
HOSTILE_FILES = {
    "att-case": ("page.html", "text/html", b"<html><script>alert(document.cookie)</script>"),
    "att-staff": (
        "image.svg",
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "att-tracked": ("code.js", "application/javascript", b"alert(document.domain)"),
    "att-other": ("piece.pdf", "application/pdf", b"%PDF-1.4 other"),
}


@dataclass(frozen=True)
class Route:
    """One rule of the URL map. ``name`` is its endpoint, with ``_token`` for the twin rule
    that reaches a case through its tracking link."""

    name: str
    endpoint: str
    rule: str
    methods: frozenset[str]
    arguments: frozenset[str]


def routes(app) -> list[Route]:
    """Every rule but the static ones, each with a name of its own."""
    by_endpoint = defaultdict(list)
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in STATIC_ENDPOINTS:
            by_endpoint[rule.endpoint].append(rule)
    found = []
    for endpoint, rules in sorted(by_endpoint.items()):
        for rule in rules:
            name = endpoint
            if len(rules) > 1:
                if "token" not in rule.arguments:
                    assert [r for r in rules if "token" in r.arguments], (
                        f"{endpoint} has several rules: tell them apart in routes()"
                    )
                else:
                    name += "_token"
            found.append(
                Route(
                    name,
                    endpoint,
                    rule.rule,
                    frozenset(rule.methods - {"HEAD", "OPTIONS"}),
                    frozenset(rule.arguments),
                )
            )
    names = [r.name for r in found]
    assert len(names) == len(set(names)), f"two rules share a name: {sorted(names)}"
    return found


STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Post:
    """How a state-changing route is posted: by whom (who may), with what, what it answers
    when it works, and whether it then changes the database (so that a refused request that
    changes nothing proves something)."""

    actor: str
    data: dict = field(default_factory=dict)
    ok: frozenset[int] = frozenset({302})
    changes: bool = True
    #: URL values other than the walk's: "reset_token", "closed_case"
    url: dict = field(default_factory=dict)
    #: the request signs its client in or out: it gets a client of its own
    own_client: bool = False
    #: a route of the REST API: the client whose bearer token works, the JSON body (``data``
    #: is then a multipart form, for a file) and the headers ("version": the case's)
    bearer: str | None = None
    json: dict | None = None
    headers: dict = field(default_factory=dict)


STRONG = "un autre mot de passe solide"
POSTS: dict[str, Post] = {
    "auth.forgot": Post("anonymous", {"email": "a@example.org"}),
    "auth.login": Post(
        "anonymous",
        {"email": "a@example.org", "password": PASSWORD},
        own_client=True,
    ),
    "auth.logout": Post("citizen_a", changes=True, own_client=True),
    # without an identity provider in the walk's site config, these are not found
    "auth.franceconnect_start": Post("anonymous", ok=frozenset({404}), changes=False),
    "auth.proconnect_start": Post("anonymous", ok=frozenset({404}), changes=False),
    "auth.franceconnect_link": Post("citizen_a", ok=frozenset({404}), changes=False),
    "auth.password": Post(
        "citizen_a",
        {"current": PASSWORD, "password": STRONG, "confirm": STRONG},
        own_client=True,
    ),
    "auth.reset": Post(
        "anonymous",
        {"password": STRONG, "confirm": STRONG},
        url={"token": "reset_token"},
        own_client=True,  # a reset signs out whoever uses the link
    ),
    "auth.signup": Post(
        "anonymous",
        {
            "name": "Nina Nouvelle",
            "email": "nina@example.org",
            "password": STRONG,
            "confirm": STRONG,
        },
    ),
    "backoffice.assign": Post("agent", {"assignee": "agent"}),
    "backoffice.legal_hold": Post("supervisor", {"reason": "Recours contentieux en cours."}),
    # the case is not held: lifting is refused, nothing changes
    "backoffice.lift_legal_hold": Post("supervisor", {"reason": "Jugement rendu."}, changes=False),
    "backoffice.personal_data_export": Post("agent", {"email": "a@example.org"}, {200}),
    "backoffice.bulk": Post("agent", {"transition": "delivrer", "case": "staff_case"}, {200}),
    "backoffice.take": Post("agent", {"case": "staff_case"}),
    "backoffice.save_filter": Post("agent", {"name": "Mes dossiers", "query": "tab=mine"}),
    "backoffice.delete_filter": Post("agent"),
    "backoffice.message": Post("agent", {"body": "Votre acte est prêt."}),
    "backoffice.note": Post("agent", {"body": "Vu au guichet."}),
    "backoffice.on_behalf": Post("agent", {"procedure": "acte-naissance", "channel": "counter"}),
    "backoffice.transition": Post("agent", {"motif_refus": "Pièce illisible."}),
    "console.activation": Post("administrator", {"active": "0"}),
    "console.api_client_list": Post(
        "administrator",
        {"name": "SIG voirie", "departments": "voirie", "scopes": "cases:read"},
        {201},
    ),
    "console.revoke_api_client": Post("administrator"),
    # the REST API: a signed-in agent of the case's department, without the token, is refused
    "api.fire_transition": Post(
        "agent",
        ok={200},
        bearer="etat-civil",
        json={"values": {"motif_refus": "Pièce illisible."}},
        headers={"If-Match": "version"},
    ),
    "api.post_message": Post(
        "agent", ok={201}, bearer="etat-civil", json={"body": "Votre acte est prêt."}
    ),
    "api.attach_document": Post("agent", {"file": "document"}, ok={201}, bearer="etat-civil"),
    "api.file_case": Post(
        "agent",
        ok={201},
        bearer="etat-civil",
        json={"procedure": "acte-naissance", "answers": "birth_answers"},
        headers={"Idempotency-Key": "registre-0001"},
    ),
    "console.new_user": Post(
        "administrator",
        {
            "email": "nouvel.agent@example.org",
            "name": "Nouvel agent",
            "kind": "agent",
            "password": STRONG,
            "departments": "voirie",
        },
    ),
    "console.new_version": Post(
        "administrator", {"source": "procedure: acte-naissance\n", "step": "check"}, {422}
    ),
    "console.new_procedure": Post(
        "administrator", {"source": "procedure: une-autre\n", "step": "check"}, {422}
    ),
    # the copy is only shown, to be published later; the checker records nothing
    "console.duplicate": Post("administrator", ok={200}, changes=False),
    "console.check_api": Post(
        "administrator", {"source": "procedure: une-autre\n"}, {200}, changes=False
    ),
    "console.replay_dead": Post("administrator", {"message": "dead_message"}),
    "console.migration": Post("administrator", {"plan": "from: [\n"}, {422}),
    "console.test_version": Post("administrator", {"tests": "scenarios: [\n"}, {422}),
    "console.restore": Post("administrator"),
    "console.user": Post("administrator", {"departments": "voirie"}),
    "console.withdraw": Post("administrator"),
    "filing.begin": Post("citizen_a", {"new": "yes"}),
    "filing.citizen_action": Post("citizen_a", {"reponse": "Mes parents sont Jean et Sophie."}),
    "filing.citizen_action_token": Post("anonymous", {"reponse": "Mon père est Jean."}),
    "filing.page": Post(
        "citizen_a",
        {
            "nom": "Durand",
            "prenoms": "Léa",
            "courriel": "lea.durand@example.org",
            "lien": "titulaire",
            "nav": "save",
        },
    ),
    "filing.submit": Post("citizen_a", {"submission": "une-seule-fois"}),
    "filing.delete_draft": Post("citizen_a"),
    "space.message": Post("citizen_a", {"body": "Avez-vous reçu ma pièce ?"}),
    "space.message_token": Post("anonymous", {"body": "Avez-vous reçu ma pièce ?"}),
    "space.profile": Post("citizen_a", {"name": "Léa Martin"}),
    "space.delete_account": Post(
        "citizen_a", {"password": PASSWORD, "confirm": "yes"}, own_client=True
    ),
    "space.reminder": Post("citizen_a", {"comment": "Où en est ma demande ?"}),
    "space.reminder_token": Post("anonymous", {"comment": "Où en est ma demande ?"}),
    "space.satisfaction": Post(
        "citizen_a", {"rating": "5", "comment": "Rapide."}, url={"case_id": "closed_case"}
    ),
    # the tracked case is still open: the rating is refused, nothing to change
    "space.satisfaction_token": Post("anonymous", {"rating": "5"}, changes=False),
}

#: A document the API attaches: a whole PDF.
DOCUMENT = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class World:
    def __init__(self, folder: Path):
        from factory import create_app

        self.folder = folder
        self.database = folder / "g.db"
        self.pristine = folder / "pristine.db"
        saved = {k: os.environ.get(k) for k in EXAMPLE_ENVIRON}
        os.environ.update(EXAMPLE_ENVIRON)
        try:
            self.app = create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "test",
                    "WTF_CSRF_ENABLED": True,
                    "DATABASE_URL": f"sqlite:///{self.database}",
                    "RATELIMIT_ENABLED": False,
                    "SITE": str(EXAMPLES / "guichet.yaml"),
                    "PROCEDURES": str(EXAMPLES),
                    "UPLOAD_FOLDER": str(folder / "uploads"),
                    "PREFILL_SOURCES": {"adresses": StaticPrefillSource("adresses", {})},
                    # a stopped clock: what the walk reads and writes does not depend on how
                    # long it takes (a session's last_seen_at is written once a minute)
                    "CLOCK": FrozenClock(dt.datetime.now(dt.UTC)),
                }
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.state = self.app.extensions["guichet"]
        self.tokens: dict[str, str] = {}
        self.ids = self._populate()
        # every actor signs in before the copy is taken: their server-side sessions are part
        # of the world that restore() brings back
        self._clients: dict[str, object] = {actor: self.new_client(actor) for actor in ACTORS}
        self.state.engine.dispose()
        with (
            closing(sqlite3.connect(self.database)) as source,
            closing(sqlite3.connect(self.pristine)) as target,
        ):
            source.backup(target)

    # -- the objects -------------------------------------------------------------------------

    def _populate(self) -> dict:
        from factory.accounts import create_account, make_token

        state = self.state
        checked = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
        suites = {p.slug: checked.suites[(p.slug, p.version)] for p in checked.procedures}
        today = dt.date.today()
        birth_answers = resolve_dates(dict(suites["acte-naissance"].scenarios[1].answers), today)
        ids: dict = {}
        agent = Actor("agent", None, frozenset({"etat-civil"}))
        with self.app.app_context(), state.sessions() as session, session.begin():
            now = state.clock.now()
            accounts = {}
            for key, (email, kind, departments) in ACCOUNTS.items():
                accounts[key] = create_account(
                    session,
                    email,
                    PASSWORD,
                    kind=kind,
                    departments=departments,
                    confirmed=True,
                    now=now,
                )
                ids[key] = accounts[key].id
            birth = state.runtime.catalogue.current(session, "acte-naissance")
            citizen = Actor("citizen", ids["citizen_a"])

            def submitted(who, owner=None):
                return cases.submit_answers(
                    session,
                    state.runtime,
                    birth,
                    dict(birth_answers),
                    who,
                    state.clock,
                    owner_id=owner,
                )

            # the citizen's case, waiting for their answer (an action they may take)
            case = submitted(citizen, ids["citizen_a"])
            cases.fire(
                session,
                state.runtime,
                case,
                "demander_precisions",
                agent,
                state.clock,
                values={"message": "Précisez le nom de vos parents."},
            )
            # the citizen's case that agents work on (just received)
            staff_case = submitted(citizen, ids["citizen_a"])
            # a closed case of the citizen (they may rate it)
            closed = submitted(citizen, ids["citizen_a"])
            cases.fire(
                session,
                state.runtime,
                closed,
                "refuser",
                agent,
                state.clock,
                values={"motif_refus": "Acte introuvable."},
            )
            # an anonymous filer's case, followed through its link, waiting for their answer
            tracked = submitted(Actor("citizen"))
            cases.fire(
                session,
                state.runtime,
                tracked,
                "demander_precisions",
                agent,
                state.clock,
                values={"message": "Précisez."},
            )
            # the citizen's draft, filled in
            draft = cases.new_draft(session, state.runtime, birth, citizen, state.clock)
            cases.save_answers(session, draft, dict(birth_answers), page="demandeur")
            for identifier, owner_case in (
                ("att-case", case),
                ("att-staff", staff_case),
                ("att-tracked", tracked),
                ("att-other", closed),
            ):
                filename, content_type, content = HOSTILE_FILES[identifier]
                (state.uploads / identifier).write_bytes(content)
                session.add(
                    Attachment(
                        id=identifier,
                        case_id=owner_case.id,
                        owner_id=owner_case.owner_id,
                        field="piece_identite",
                        filename=filename,
                        content_type=content_type,
                        size=len(content),
                        sha256="0" * 64,
                        created_at=now,
                    )
                )
            # documents the workflow wrote (their bytes are in the row)
            for identifier, owner_case in (
                ("doc-case", case),
                ("doc-staff", staff_case),
                ("doc-tracked", tracked),
            ):
                content = b"%PDF-1.7 " + identifier.encode()
                session.add(
                    Document(
                        id=identifier,
                        case_id=owner_case.id,
                        template="arrete",
                        name=f"Arrêté {owner_case.reference}",
                        filename=f"arrete-{identifier}.pdf",
                        size=len(content),
                        sha256="0" * 64,
                        content=content,
                        created_at=now,
                    )
                )
            session.add(
                Message(
                    case_id=case.id,
                    author_kind="agent",
                    author_id=ids["agent"],
                    body="Nous avons besoin d'une précision.",
                    created_at=now,
                )
            )
            session.add(
                InternalNote(
                    case_id=staff_case.id,
                    author_id=ids["agent"],
                    body="À vérifier.",
                    created_at=now,
                )
            )
            dead = OutboxMessage(
                event_id="00000000-0000-0000-0000-00000000dead",
                case_id=staff_case.id,
                kind="send",
                connector="logiciel-etat-civil",
                payload={},
                status="dead",
                attempts=8,
                next_attempt_at=now,
                last_error="connection refused",
                created_at=now,
            )
            session.add(dead)
            from engine import api_clients

            for name, (departments, scopes, as_agent) in API_CLIENTS.items():
                client, self.tokens[name] = api_clients.create_client(
                    session,
                    name,
                    departments=departments,
                    scopes=scopes,
                    as_agent=as_agent,
                    now=now,
                )
            ids["api_client"] = client.id
            self.birth_answers = dict(birth_answers)
            saved = SavedFilter(
                account_id=ids["agent"], name="Naissances", query="tab=mine", created_at=now
            )
            session.add(saved)
            session.flush()
            ids.update(
                case=case.id,
                staff_case=staff_case.id,
                closed_case=closed.id,
                tracked_case=tracked.id,
                draft=draft.id,
                token=tracked.tracking_token,
                dead_message=dead.id,
                saved_filter=saved.id,
                reset_token=make_token(
                    session,
                    "reset",
                    accounts["citizen_a"],
                    dt.timedelta(hours=2),
                    dt.datetime.now(dt.UTC),
                ),
            )
        with self.app.app_context(), state.sessions() as session:
            from engine.models import Case

            ids["staff_case_version"] = session.get(Case, ids["staff_case"]).lock_version
        return ids

    def restore(self) -> None:
        """Put the database back as it was built."""
        self.state.engine.dispose()
        with (
            closing(sqlite3.connect(self.pristine)) as source,
            closing(sqlite3.connect(self.database)) as target,
        ):
            source.backup(target)

    def snapshot(self) -> dict[str, list]:
        """Every row of every table."""
        with self.state.engine.connect() as connection:
            return {
                table.name: sorted(
                    (tuple(row) for row in connection.execute(sa.select(table))),
                    key=repr,
                )
                for table in Base.metadata.sorted_tables
            }

    # -- URLs --------------------------------------------------------------------------------

    def values(self, route: Route, overrides: dict | None = None) -> dict:
        """A real value for every argument of the rule; an argument nobody described fails."""
        found = {}
        for name in sorted(route.arguments):
            endpoint, blueprint = route.endpoint, route.endpoint.split(".")[0]
            if overrides and name in overrides:
                found[name] = self.ids[overrides[name]]
            elif name == "case_id":
                if endpoint in DRAFT_ENDPOINTS:
                    found[name] = self.ids["draft"]
                elif blueprint in ("backoffice", API_BLUEPRINT):
                    found[name] = self.ids["staff_case"]
                else:
                    found[name] = self.ids["case"]
            elif name == "token" and endpoint in FORGED_TOKEN_ENDPOINTS:
                found[name] = "forged-token"
            elif name == "token" and endpoint in TRACKING_TOKEN_ENDPOINTS:
                found[name] = self.ids["token"]
            elif name == "attachment_id":
                if blueprint in ("backoffice", API_BLUEPRINT):
                    found[name] = "att-staff"
                else:
                    found[name] = "att-tracked" if "token" in route.arguments else "att-case"
            elif name == "document_id":
                if blueprint == "backoffice":
                    found[name] = "doc-staff"
                else:
                    found[name] = "doc-tracked" if "token" in route.arguments else "doc-case"
            elif name == "filter_id":
                found[name] = self.ids["saved_filter"]
            elif name == "account_id":
                found[name] = self.ids["staff"]
            elif name == "client_id":
                found[name] = self.ids["api_client"]
            elif name == "version":
                found[name] = 1
            elif name == "slug":
                found[name] = "acte-naissance"
            elif name == "page_id":
                found[name] = "demandeur"
            elif name == "field_id":
                found[name] = "adresse_envoi"
            elif name == "transition_id":
                found[name] = "apporter_precisions" if blueprint == "filing" else "refuser"
            else:
                raise AssertionError(f"{route.rule}: no value for <{name}>: describe it")
        return found

    def url(self, route: Route, overrides: dict | None = None, **values) -> str:
        arguments = self.values(route, overrides) | values
        with self.app.test_request_context():
            # the rule itself, not another rule of the same endpoint
            url = url_for(route.endpoint, **arguments)
        method = sorted(route.methods)[0]
        rule, _ = self.app.url_map.bind("localhost").match(url, method, return_rule=True)
        assert rule.rule == route.rule, f"{url} reaches {rule.rule}, not {route.rule}"
        return url

    def api_request(self, post: Post, client: str | None) -> dict:
        """The keyword arguments of a test client's ``post`` for an API route: the bearer
        token of ``client`` (None: no token), the JSON body or the file, the headers."""
        headers = {
            key: (f'"{self.ids["staff_case_version"]}"' if value == "version" else value)
            for key, value in post.headers.items()
        }
        if client is not None:
            headers["Authorization"] = f"Bearer {self.tokens[client]}"
        if post.json is not None:
            body = {
                key: (dict(self.birth_answers) if value == "birth_answers" else value)
                for key, value in post.json.items()
            }
            return {"json": body, "headers": headers}
        data = {key: (io.BytesIO(DOCUMENT), "arrete.pdf") for key in post.data}
        return {"data": data, "headers": headers}

    def post_data(self, post: Post) -> dict:
        """The form of ``post``, with ids of the world where it names them."""
        data = dict(post.data)
        for key, value in data.items():
            if key in ("assignee", "case", "message") and value in self.ids:
                data[key] = str(self.ids[value])
        return data

    # -- clients -----------------------------------------------------------------------------

    def client(self, actor: str):
        """A signed-in client per actor, kept for the whole module."""
        if actor not in self._clients:
            self._clients[actor] = self.new_client(actor)
        return self._clients[actor]

    def new_client(self, actor: str):
        client = self.app.test_client()
        if actor != "anonymous":
            email = ACCOUNTS[actor][0]
            response = client.post(
                "/connexion",
                data={"email": email, "password": PASSWORD, "csrf_token": self.token(client)},
            )
            assert response.status_code == 302, actor
        return client

    def token(self, client) -> str:
        """A CSRF token of the client's session, read from a form as a browser would."""
        response = client.get("/connexion")
        if response.status_code == 302:  # signed in: the profile page has a form
            response = client.get("/mon-profil")
        match = _TOKEN.search(response.get_data(as_text=True))
        assert match, "no CSRF token in the page"
        return match.group(1)


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
