"""Engine errors as people read them: one mapping to HTTP statuses, and ``attempt``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages

from engine.errors import Conflict, EngineError, InvalidValues, NotFound, PublishError, Refused

RAISED = {
    "not-found": (NotFound("no such case"), 404),
    "refused": (Refused("state", "not in this state"), 409),
    "invalid": (InvalidValues([]), 422),
    "conflict": (Conflict("changed meanwhile"), 409),
    "publish": (PublishError("cannot publish"), 422),
    "other": (EngineError("something the engine refused"), 400),
}


@pytest.fixture
def people():
    return {}


@pytest.fixture
def app(app):
    """The application, with a test-only route that raises the engine error it is told."""

    def boom(kind: str):
        raise RAISED[kind][0]

    app.add_url_rule("/test-only/engine-error/<kind>", view_func=boom)
    return app


@pytest.mark.parametrize("kind", sorted(RAISED))
def test_an_engine_error_that_reaches_flask_is_a_clear_page_never_a_500(app, kind):
    response = app.test_client().get(f"/test-only/engine-error/{kind}")
    assert response.status_code == RAISED[kind][1]
    page = response.get_data(as_text=True)
    assert "<h1" in page and "Traceback" not in page


def test_attempt_commits_when_the_operation_is_done(app):
    from factory.errors import attempt

    committed = []
    with app.test_request_context("/"):
        assert attempt(lambda: None, {Refused: "no"}, commit=lambda: committed.append(1)) is None
        assert get_flashed_messages() == []
    assert committed == [1]


def test_attempt_rolls_back_and_says_why_when_the_engine_refuses(app):
    from factory.errors import attempt
    from factory.services import db

    refusal = Refused("rate", "too often")
    calls = []

    def operation():
        db().execute(sa.text("SELECT 1"))
        calls.append(db().in_transaction())
        raise refusal

    with app.test_request_context("/"):
        returned = attempt(
            operation,
            {Conflict: "changed", Refused: lambda error: f"refused: {error.reason}"},
            commit=lambda: calls.append("committed"),
        )
        assert returned is refusal
        assert get_flashed_messages(with_categories=True) == [("error", "refused: rate")]
        assert not db().in_transaction()  # rolled back
    assert calls == [True]  # the transaction was open, and never committed


def test_attempt_picks_the_first_message_that_matches(app):
    from factory.errors import attempt

    def invalid():
        raise InvalidValues([])

    with app.test_request_context("/"):
        attempt(invalid, {InvalidValues: "incomplete", Refused: "refused"})
        attempt(invalid, {(Conflict, Refused): "either"})
        assert get_flashed_messages() == ["incomplete", "either"]


def test_attempt_lets_an_error_it_has_no_message_for_through(app):
    from factory.errors import attempt

    def conflict():
        raise Conflict("changed")

    with app.test_request_context("/"), pytest.raises(Conflict):
        attempt(conflict, {Refused: "refused"})
