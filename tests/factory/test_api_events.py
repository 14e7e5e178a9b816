"""The API's events feed: every change and delivery of the client's departments, from a
cursor that only moves forward, with nothing committed ever skipped."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.clock import FrozenClock
from engine.models import CaseEvent

from .api_helpers import seeded

START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    return FrozenClock(START)


def feed(api, world, after=None, client="etat-civil", limit=None):
    query = {k: v for k, v in (("after", after), ("limit", limit)) if v is not None}
    response = api.get("/api/v1/events", query_string=query, headers=world.headers(client))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_feed_holds_the_departments_changes_and_deliveries(tmp_path, example_environ):
    world = seeded(tmp_path)
    api = world.app.test_client()
    page = feed(api, world)
    kinds = [e["type"] for e in page["items"]]
    assert kinds.count("case.submitted") == 2
    assert "delivery" in kinds
    assert {e["case_id"] for e in page["items"]} == {world.ids["received"], world.ids["other"]}
    assert feed(api, world, client="voirie")["items"] == []
    # read on from the end: nothing new, the same cursor
    again = feed(api, world, after=page["next"])
    assert again["items"] == [] and again["next"] == page["next"]
    # a change appears after the cursor, once
    read = api.get(f"/api/v1/cases/{world.ids['received']}", headers=world.headers())
    fired = api.post(
        f"/api/v1/cases/{world.ids['received']}/transitions/refuser",
        json={"values": {"motif_refus": "Introuvable."}},
        headers=world.headers(**{"If-Match": read.headers["ETag"]}),
    )
    assert fired.status_code == 200
    news = feed(api, world, after=page["next"])
    transitions = [e for e in news["items"] if e["type"] == "case.transition"]
    assert [e["data"]["transition"] for e in transitions] == ["refuser"]
    assert transitions[0]["data"]["actor"] == "api"


def test_small_pages_walk_every_event_once(tmp_path, example_environ):
    world = seeded(tmp_path)
    api = world.app.test_client()
    everything = feed(api, world)["items"]
    walked, cursor = [], None
    for _ in range(len(everything) + 2):
        page = feed(api, world, after=cursor, limit=1)
        walked += page["items"]
        if not page["items"]:
            break
        cursor = page["next"]
    assert [(e["type"], e["data"]["id"]) for e in walked] == [
        (e["type"], e["data"]["id"]) for e in everything
    ]
    times = [e["at"] for e in walked]
    assert times == sorted(times)


@pytest.mark.parametrize("after", ["x", "1", "1.2.3", "-1.0"])
def test_a_malformed_cursor_is_a_422_problem(tmp_path, example_environ, after):
    world = seeded(tmp_path)
    response = world.app.test_client().get(
        "/api/v1/events", query_string={"after": after}, headers=world.headers()
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def race(world, clock) -> tuple[dict, str]:
    """Two transactions that commit out of id order: the world's events are settled, then a
    case changes (new history rows), and the first of those rows is taken out as if its
    transaction had not committed yet. Returns the late row and the cursor read meanwhile."""
    api = world.app.test_client()
    state = world.app.extensions["guichet"]
    clock.advance(dt.timedelta(seconds=10))
    with state.sessions() as session:
        before = session.scalar(sa.select(sa.func.max(CaseEvent.id)))
    for name in ("received", "other"):  # two transactions, one after the other
        read = api.get(f"/api/v1/cases/{world.ids[name]}", headers=world.headers())
        fired = api.post(
            f"/api/v1/cases/{world.ids[name]}/transitions/refuser",
            json={"values": {"motif_refus": "Introuvable."}},
            headers=world.headers(**{"If-Match": read.headers["ETag"]}),
        )
        assert fired.status_code == 200
    with state.sessions() as session, session.begin():
        news = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.id > before).order_by(CaseEvent.id)
        ).all()
        assert len(news) == 2
        late = {c.name: getattr(news[0], c.name) for c in CaseEvent.__table__.columns}
        session.delete(news[0])  # in flight: its id is taken, the row not visible yet
    cursor = feed(api, world)["next"]
    with state.sessions() as session, session.begin():
        session.add(CaseEvent(**late))  # the late transaction commits
    clock.advance(dt.timedelta(seconds=6))
    return late, cursor


def history_ids(page) -> list[int]:
    return [e["data"]["id"] for e in page["items"] if e["type"].startswith("case.")]


def test_an_event_committed_out_of_id_order_is_not_skipped(tmp_path, example_environ, clock):
    """On PostgreSQL an id is taken when a row is inserted and becomes visible when its
    transaction commits: row N+1 can be visible before row N. The settling window keeps
    the cursor behind every row that may still appear."""
    world = seeded(tmp_path, CLOCK=clock, API_EVENTS_SETTLE_SECONDS=5)
    late, cursor = race(world, clock)
    caught_up = feed(world.app.test_client(), world, after=cursor)
    assert late["id"] in history_ids(caught_up)
    assert late["id"] > int(cursor.split(".")[0])


def test_without_a_window_the_late_row_would_be_skipped(tmp_path, example_environ, clock):
    """The same race with no settling window: the reason the window exists."""
    world = seeded(tmp_path, CLOCK=clock, API_EVENTS_SETTLE_SECONDS=0)
    late, cursor = race(world, clock)
    assert late["id"] < int(cursor.split(".")[0])
    caught_up = feed(world.app.test_client(), world, after=cursor)
    assert late["id"] not in history_ids(caught_up)


def test_recent_events_wait_for_the_window(tmp_path, example_environ, clock):
    world = seeded(tmp_path, CLOCK=clock, API_EVENTS_SETTLE_SECONDS=5)
    api = world.app.test_client()
    assert feed(api, world)["items"] == []
    clock.advance(dt.timedelta(seconds=5))
    assert len(feed(api, world)["items"]) >= 2
