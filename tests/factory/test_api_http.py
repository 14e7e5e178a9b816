"""A department's system drives Guichet over a real HTTP server with httpx: it lists its
cases, reads one, fires a transition, writes to the citizen, goes down for a while, and
catches up on what happened from its last cursor; another department's system gets 404
on each of those cases."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from werkzeug.serving import make_server

from engine import cases, exchanges
from engine.models import Account, Case
from engine.workflow import Actor

from .api_helpers import seeded

SETTLE = 0.3


@pytest.fixture
def served(tmp_path, example_environ):
    world = seeded(tmp_path, API_EVENTS_SETTLE_SECONDS=SETTLE)
    server = make_server("127.0.0.1", 0, world.app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield world, f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def system(world, base: str, name: str) -> httpx.Client:
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {world.tokens[name]}"},
        timeout=10,
    )


def catch_up(client: httpx.Client, cursor: str | None) -> tuple[list[dict], str | None]:
    """Every event after ``cursor``, page by page, as a receiver reads them."""
    events = []
    for _ in range(100):  # bounded: the feed ends
        params = {"limit": 2, **({"after": cursor} if cursor else {})}
        page = client.get("/events", params=params).raise_for_status().json()
        events += page["items"]
        if not page["items"]:
            return events, cursor
        cursor = page["next"]
    raise AssertionError("the feed did not end")


def test_a_department_system_end_to_end(served):
    world, base = served
    with system(world, base, "etat-civil") as registry, system(world, base, "voirie") as other:
        time.sleep(SETTLE + 0.1)
        seen, cursor = catch_up(registry, None)
        assert {e["type"] for e in seen} >= {"case.submitted", "delivery"}

        listed = registry.get("/cases", params={"procedure": "acte-naissance"}).json()
        ids = [c["id"] for c in listed["items"]]
        assert set(ids) == {world.ids["received"], world.ids["other"]}

        case_id = world.ids["received"]
        read = registry.get(f"/cases/{case_id}")
        assert read.status_code == 200 and read.json()["state"] == "recue"
        fired = registry.post(
            f"/cases/{case_id}/transitions/demander_precisions",
            json={"values": {"message": "Merci de préciser le nom de vos parents."}},
            headers={"If-Match": read.headers["ETag"]},
        )
        assert fired.status_code == 200, fired.text
        assert fired.json()["state"] == "attente_usager"
        stale = registry.post(
            f"/cases/{case_id}/transitions/refuser",
            json={"values": {"motif_refus": "x"}},
            headers={"If-Match": read.headers["ETag"]},
        )
        assert stale.status_code == 412
        assert stale.json()["current_version"] == fired.json()["lock_version"]
        message = registry.post(f"/cases/{case_id}/messages", json={"body": "Bien reçu."})
        assert message.status_code == 201

        # the system goes down; meanwhile the citizen answers and an agent refuses the
        # other case in the back office
        _meanwhile(world)
        time.sleep(SETTLE + 0.1)
        missed, cursor = catch_up(registry, cursor)
        transitions = [
            (e["case_id"], e["data"]["transition"])
            for e in missed
            if e["type"] == "case.transition"
        ]
        assert (case_id, "demander_precisions") in transitions
        assert (case_id, "apporter_precisions") in transitions
        assert (world.ids["other"], "refuser") in transitions
        assert any(e["type"] == "delivery" for e in missed)
        # caught up: nothing more, the same cursor
        assert catch_up(registry, cursor) == ([], cursor)

        # another department's system never reaches these cases
        for case in (world.ids["received"], world.ids["other"]):
            assert other.get(f"/cases/{case}").status_code == 404
            attempt = other.post(
                f"/cases/{case}/transitions/refuser",
                json={"values": {"motif_refus": "x"}},
                headers={"If-Match": '"1"'},
            )
            assert attempt.status_code == 404
            assert other.post(f"/cases/{case}/messages", json={"body": "x"}).status_code == 404
            download = other.get(f"/cases/{case}/attachments/{world.ids['attachment']}")
            assert download.status_code == 404
            assert download.headers["Content-Type"] == "application/problem+json"
        assert other.get("/cases").json()["items"] == []
        assert catch_up(other, None) == ([], None)


def _meanwhile(world) -> None:
    state = world.app.extensions["guichet"]
    with world.app.app_context(), state.sessions() as session, session.begin():
        citizen = session.query(Account).filter_by(email="a@example.org").one()
        case = session.get(Case, world.ids["received"])
        cases.fire(
            session,
            state.runtime,
            case,
            "apporter_precisions",
            Actor("citizen", citizen.id),
            state.clock,
            values={"reponse": "Jean et Sophie Martin."},
        )
        exchanges.post_message(
            session, state.runtime, case, Actor("citizen", citizen.id), state.clock, "Merci."
        )
        other = session.get(Case, world.ids["other"])
        cases.fire(
            session,
            state.runtime,
            other,
            "refuser",
            Actor("agent", None, frozenset({"etat-civil"})),
            state.clock,
            values={"motif_refus": "Acte introuvable."},
        )
