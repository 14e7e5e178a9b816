"""Delivery at least once through the engine's worker and the real webhook connector, on
SQLite and PostgreSQL: an outage of the receiver loses nothing; a refusal is a dead letter
that an administrator can replay."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from connectors.registry import ConnectorRegistry
from definitions.site import Secret
from engine import outbox
from engine.catalogue import Runtime
from engine.models import OutboxMessage
from engine.worker import Worker

from .receivers import SECRET, WebhookReceiver, site_with

LATER = dt.timedelta(hours=2)  # past any backoff of the first attempts


@pytest.fixture
def receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def registry(receiver):
    site = site_with(
        hook={
            "type": "webhook",
            "url": receiver.url,
            "secret": Secret("GUICHET_WEBHOOK_SECRET", SECRET),
            "timeout": 5,
        }
    )
    registry = ConnectorRegistry(site)
    registry.site = site
    yield registry
    registry.close()


@pytest.fixture
def worker(registry, sessions, clock):
    return Worker(
        Runtime(site=registry.site),
        sessions,
        registry.deliver,
        clock=clock,
        batch=200,
        max_attempts=50,
    )


def enqueue_events(sessions, count: int, now: dt.datetime) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with sessions() as session, session.begin():
        for n, event_id in enumerate(ids):
            outbox.enqueue(
                session,
                case=None,
                kind="send",
                connector="hook",
                payload={
                    "specversion": "1.0",
                    "id": event_id,
                    "type": "fr.guichet.test",
                    "data": {"n": n},
                },
                now=now,
                event_id=event_id,
            )
    return ids


def drain(worker: Worker) -> int:
    """Deliver everything due now; returns how many deliveries were tried."""
    tried = 0
    while done := worker.run_outbox():
        tried += done
    return tried


def rows(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_thousand_deliveries_survive_an_outage_of_the_receiver(sessions, clock, receiver, worker):
    ids = enqueue_events(sessions, 1000, clock.now())

    # the receiver is up but failing
    receiver.mode, receiver.fail_status = "fail", 503
    assert drain(worker) == 1000
    assert Counter(r.status for r in rows(sessions)) == Counter({"pending": 1000})
    assert all("503" in r.last_error for r in rows(sessions))
    assert drain(worker) == 0  # nothing is due before its backoff

    # then not listening at all
    receiver.stop()
    clock.advance(LATER)
    assert drain(worker) == 1000
    assert all(r.status == "pending" and r.attempts == 2 for r in rows(sessions))
    assert all("cannot reach" in r.last_error for r in rows(sessions))

    # back: everything arrives
    receiver.mode = "ok"
    receiver.start()
    clock.advance(LATER)
    assert drain(worker) == 1000

    assert receiver.problems == []  # every request was signed and keyed by its event id
    assert set(receiver.accepted) == set(ids)
    assert all(receiver.accepted[i] >= 1 for i in ids)
    final = rows(sessions)
    assert len(final) == 1000
    assert Counter(r.status for r in final) == Counter({"delivered": 1000})
    assert all(r.delivered_at == clock.now() and r.last_error is None for r in final)
    assert all(r.attempts == 3 for r in final)
    assert len(receiver.requests) == 2000  # 1000 refused with 503, 1000 accepted


def test_a_refused_delivery_is_a_dead_letter_until_replayed(sessions, clock, receiver, worker):
    [refused] = enqueue_events(sessions, 1, clock.now())
    receiver.mode = "reject"
    receiver.answer = "le champ « reference » est obligatoire"

    assert drain(worker) == 1
    [row] = rows(sessions)
    assert row.status == "dead"
    assert row.attempts == 1
    assert "400" in row.last_error
    assert "le champ « reference » est obligatoire" in row.last_error
    with sessions() as session:
        assert [m.event_id for m in outbox.dead_letters(session, "hook")] == [refused]
        assert outbox.dead_letters(session, "another") == []

    # a dead letter is not retried, however long one waits
    receiver.mode = "ok"
    clock.advance(dt.timedelta(days=2))
    assert drain(worker) == 0
    assert receiver.accepted == Counter()

    # the receiver is fixed; an administrator replays the dead letters
    with sessions() as session, session.begin():
        assert outbox.replay(session, None, clock.now()) == 1
    assert drain(worker) == 1
    [row] = rows(sessions)
    assert row.status == "delivered"
    assert row.last_error is None
    assert receiver.accepted == Counter({refused: 1})
    with sessions() as session:
        assert outbox.dead_letters(session) == []
