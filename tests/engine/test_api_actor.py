"""API clients as actors (kind ``api``): who they may be for a transition's ``by:``, and their
tokens (random, stored hashed, revocable)."""

from __future__ import annotations

import datetime as dt

import pytest

from definitions.model import Transition
from engine import api_clients
from engine.workflow import Actor, may_act

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def client(departments=("finances",), as_agent=False) -> Actor:
    return Actor("api", None, frozenset(departments), client_id=1, as_agent=as_agent)


def by(kind: str, department: str | None = None) -> Transition:
    return Transition("t", ("a",), "b", kind, actor_department=department)


@pytest.mark.parametrize(
    ("transition", "actor", "allowed"),
    [
        (by("department", "finances"), client(), True),
        (by("department", "finances"), client(("voirie",)), False),
        (by("agent"), client(), False),
        (by("agent"), client(as_agent=True), True),
        (by("agent"), client(("voirie",), as_agent=True), False),
        (by("supervisor"), client(as_agent=True), False),
        (by("citizen"), client(as_agent=True), False),
        (by("timer"), client(as_agent=True), False),
    ],
)
def test_who_an_api_client_may_be(transition, actor, allowed):
    assert (
        may_act(transition, actor, department="finances", owner_id=7, tracking_token="x") is allowed
    )


def test_a_token_is_random_hashed_and_revocable(sessions):
    with sessions() as session, session.begin():
        first, token = api_clients.create_client(
            session, "sig", departments=["voirie"], scopes=["cases:read"], now=NOW
        )
        _, other = api_clients.create_client(
            session, "sig-2", departments=["voirie"], scopes=["cases:read"], now=NOW
        )
        assert token != other and first.token_hash == api_clients.token_hash(token)
        assert api_clients.authenticate(session, token, NOW).id == first.id
        assert first.last_used_at == NOW
        later = NOW + dt.timedelta(seconds=30)
        api_clients.authenticate(session, token, later)
        assert first.last_used_at == NOW  # at most once a minute
        assert api_clients.authenticate(session, token[:-1], NOW) is None
        assert api_clients.authenticate(session, first.token_hash, NOW) is None
        api_clients.revoke(session, "sig", NOW)
        assert api_clients.authenticate(session, token, NOW) is None
        actor = api_clients.actor_of(first)
        assert actor.kind == "api" and actor.departments == {"voirie"}


@pytest.mark.parametrize(
    ("departments", "scopes"),
    [((), ("cases:read",)), (("voirie",), ()), (("voirie",), ("cases:delete",))],
)
def test_a_client_needs_departments_and_known_scopes(sessions, departments, scopes):
    with sessions() as session, pytest.raises(api_clients.InvalidClient):
        api_clients.create_client(session, "x", departments=departments, scopes=scopes, now=NOW)
