"""A seeded instance for the REST API's tests: the example site, two birth-certificate
cases of etat-civil (one with a document), and API clients of etat-civil and voirie."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .portal_helpers import BACK_OFFICE, make_app

ALL_SCOPES = ("cases:read", "cases:write", "documents:read", "procedures:read", "events:read")
DOCUMENT = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Seeded:
    app: object
    #: client name -> token
    tokens: dict
    #: case name -> id; "attachment" -> the document's id
    ids: dict

    def headers(self, client: str = "etat-civil", **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[client]}", **extra}


def birth_answers() -> dict:
    from definitions.folders import check_paths
    from definitions.scenarios import resolve_dates

    from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

    checked = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    suite = next(
        checked.suites[(p.slug, p.version)]
        for p in checked.procedures
        if p.slug == "acte-naissance"
    )
    return resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())


def seeded(tmp_path, **config) -> Seeded:
    """The example site with its cases and clients (``API_EVENTS_SETTLE_SECONDS`` 0 unless
    ``config`` says otherwise)."""
    from engine import api_clients, cases
    from engine.attachments import FileChanges, add_attachment
    from engine.models import Account
    from engine.workflow import Actor

    app = make_app(tmp_path, BACK_OFFICE, **{"API_EVENTS_SETTLE_SECONDS": 0, **config})
    state = app.extensions["guichet"]
    answers = birth_answers()
    tokens, ids = {}, {}
    with app.app_context(), state.sessions() as session:
        citizen = session.query(Account).filter_by(email="a@example.org").one()
        birth = state.runtime.catalogue.current(session, "acte-naissance")
        for name in ("received", "other"):
            case = cases.submit_answers(
                session,
                state.runtime,
                birth,
                dict(answers),
                Actor("citizen", citizen.id),
                state.clock,
                owner_id=citizen.id,
            )
            session.flush()
            ids[name] = case.id
        changes = FileChanges(state.storage)
        import io

        ids["attachment"] = add_attachment(
            session,
            changes,
            case,
            "piece_identite",
            io.BytesIO(DOCUMENT),
            "piece.pdf",
            "application/pdf",
            state.clock.now(),
        )
        for name, departments, scopes, as_agent in (
            ("etat-civil", ("etat-civil",), ALL_SCOPES, True),
            ("voirie", ("voirie",), ALL_SCOPES, True),
            ("etat-civil-lecture", ("etat-civil",), ("cases:read",), False),
            ("etat-civil-service", ("etat-civil",), ALL_SCOPES, False),
        ):
            client, token = api_clients.create_client(
                session,
                name,
                departments=departments,
                scopes=scopes,
                as_agent=as_agent,
                now=state.clock.now(),
            )
            tokens[name] = token
        changes.commit(session)
    return Seeded(app, tokens, ids)
