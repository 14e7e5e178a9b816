"""The worker and the outbox: delivery at least once, retries with backoff, dead letters and
their replay, leases, an outage and a worker killed in the middle of a batch."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import cases, outbox
from engine.clock import FrozenClock
from engine.db import Base, make_engine, make_session_factory, utcnow
from engine.models import OutboxMessage
from engine.outbox import DeliveryFailed
from engine.worker import Worker
from engine.workflow import Actor

from ..conftest import EXAMPLE_ENVIRON
from ..engine_helpers import (
    BIRTH_ANSWERS,
    RecordingConnector,
    drop_schema,
    http_400,
    schema_url_and_options,
)

AGENT = Actor("agent", None, frozenset({"etat-civil"}))
WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "worker_process.py"


def enqueue_rows(sessions, count, now, connector="logiciel-etat-civil", kind="send"):
    """``count`` due outbox rows; returns their (id, event_id)."""
    with sessions() as session, session.begin():
        rows = [
            outbox.enqueue(
                session, case=None, kind=kind, connector=connector, payload={"n": n}, now=now
            )
            for n in range(count)
        ]
        session.flush()
        return [(row.id, row.event_id) for row in rows]


def rows_by_id(sessions) -> dict[int, OutboxMessage]:
    with sessions() as session:
        return {m.id: m for m in session.scalars(sa.select(OutboxMessage))}


def statuses(sessions) -> Counter:
    with sessions() as session:
        return Counter(session.scalars(sa.select(OutboxMessage.status)))


# -- delivering -------------------------------------------------------------------------------


def test_due_rows_are_delivered_once_with_their_event_id(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        case = cases.submit_answers(
            session,
            runtime,
            published["acte-naissance"],
            dict(BIRTH_ANSWERS),
            Actor("citizen"),
            clock,
        )
        cases.fire(session, runtime, case, "delivrer", AGENT, clock)
        case_id = case.id
    later = enqueue_rows(sessions, 1, clock.now() + dt.timedelta(hours=1))
    before = rows_by_id(sessions)
    connector = RecordingConnector()
    worker = Worker(runtime, sessions, connector, clock=clock)

    assert worker.run_outbox() == 3  # the receipt, the registry delivery, the mail
    delivered = {d.event_id: d for d in connector.calls}
    rows = rows_by_id(sessions)
    for row in rows.values():
        if row.case_id != case_id:
            continue
        assert row.status == "delivered"
        assert row.delivered_at == clock.now()
        assert (row.claim, row.locked_until, row.last_error, row.attempts) == (None, None, None, 1)
        delivery = delivered[row.event_id]
        assert (delivery.connector, delivery.kind, delivery.payload, delivery.attempt) == (
            row.connector,
            row.kind,
            before[row.id].payload,
            1,
        )
    (send,) = [d for d in connector.calls if d.kind == "send"]
    assert send.connector == "logiciel-etat-civil"
    assert send.payload["id"] == send.event_id  # receivers deduplicate on it
    assert {d.audience for d in connector.calls if d.kind == "notify"} == {"citizen"}

    # what is delivered is not delivered again; what is not due waits for its time
    assert worker.run_outbox() == 0
    assert len(connector.calls) == 3
    assert rows[later[0][0]].status == "pending"
    clock.advance(dt.timedelta(hours=1))
    assert worker.run_outbox() == 1
    assert connector.calls[-1].event_id == later[0][1]


@pytest.mark.parametrize(
    ("ceiling", "expected"),
    [
        (dt.timedelta(hours=1), [30, 60, 120, 240]),
        (dt.timedelta(seconds=90), [30, 60, 90, 90]),
    ],
)
def test_a_retryable_failure_backs_off_then_becomes_a_dead_letter(
    sessions, runtime, clock, ceiling, expected
):
    ((row_id, event_id),) = enqueue_rows(sessions, 1, clock.now())
    connector = RecordingConnector(DeliveryFailed("HTTP 503 Service Unavailable"))
    worker = Worker(
        runtime,
        sessions,
        connector,
        clock=clock,
        max_attempts=5,
        retry_after=dt.timedelta(seconds=30),
        max_retry_after=ceiling,
    )
    waits = []
    for attempt in range(1, 5):
        assert worker.run_outbox() == 1
        row = rows_by_id(sessions)[row_id]
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_error == "HTTP 503 Service Unavailable"
        wait = row.next_attempt_at - clock.now()
        waits.append(wait.total_seconds())
        # not retried before its time
        clock.advance(wait - dt.timedelta(seconds=1))
        assert worker.run_outbox() == 0
        clock.advance(dt.timedelta(seconds=1))
    assert waits == expected
    assert worker.run_outbox() == 1  # the fifth and last attempt
    row = rows_by_id(sessions)[row_id]
    assert (row.status, row.attempts) == ("dead", 5)
    assert row.last_error == "HTTP 503 Service Unavailable"
    assert row.delivered_at is None
    assert [d.event_id for d in connector.calls] == [event_id] * 5
    assert [d.attempt for d in connector.calls] == [1, 2, 3, 4, 5]
    clock.advance(dt.timedelta(days=30))
    assert worker.run_outbox() == 0  # a dead letter waits for an administrator


def test_a_non_retryable_failure_is_dead_at_once_any_other_error_is_retried(
    sessions, runtime, clock
):
    rows = enqueue_rows(sessions, 2, clock.now())
    refused, crashed = rows[0][1], rows[1][1]

    def failure(delivery):
        return http_400() if delivery.event_id == refused else ConnectionResetError("reset")

    worker = Worker(runtime, sessions, RecordingConnector(failure), clock=clock)
    assert worker.run_outbox() == 2
    found = {row.event_id: row for row in rows_by_id(sessions).values()}
    assert (found[refused].status, found[refused].attempts) == ("dead", 1)
    assert "HTTP 400" in found[refused].last_error
    assert (found[crashed].status, found[crashed].attempts) == ("pending", 1)
    assert found[crashed].last_error == "ConnectionResetError: reset"
    assert found[crashed].next_attempt_at == clock.now() + dt.timedelta(seconds=30)


def test_dead_letters_are_listed_and_replayed(sessions, runtime, clock):
    with sessions() as session, session.begin():
        rows = [
            outbox.enqueue(
                session,
                case=None,
                kind="send",
                connector=connector,
                payload={"to": connector},
                now=clock.now(),
            )
            for connector in ("logiciel-etat-civil", "gmao-voirie", "mail")
        ]
        session.flush()
        refused, unreachable, fine = [(r.id, r.event_id) for r in rows]

    def failure(delivery):
        if delivery.connector == "logiciel-etat-civil":
            return http_400()
        if delivery.connector == "gmao-voirie":
            return TimeoutError("the GMAO did not answer")
        return None

    connector = RecordingConnector(failure)
    worker = Worker(runtime, sessions, connector, clock=clock, max_attempts=2)
    assert worker.run_outbox() == 3
    clock.advance(dt.timedelta(minutes=5))
    assert worker.run_outbox() == 1  # the GMAO again, for the last time
    with sessions() as session:
        dead = outbox.dead_letters(session)
        assert [m.id for m in dead] == [refused[0], unreachable[0]]
        assert [m.last_error for m in dead] == [
            "HTTP 400 Bad Request: the receiver refuses this event",
            "TimeoutError: the GMAO did not answer",
        ]
        assert [m.id for m in outbox.dead_letters(session, "gmao-voirie")] == [unreachable[0]]
        assert outbox.dead_letters(session, "mail") == []
    assert rows_by_id(sessions)[fine[0]].status == "delivered"

    connector.failure = None  # the receivers are fixed
    clock.advance(dt.timedelta(days=1))
    assert worker.run_outbox() == 0
    with sessions() as session, session.begin():
        assert outbox.replay(session, [refused[0]], clock.now()) == 1
    assert worker.run_outbox() == 1
    assert connector.calls[-1].event_id == refused[1]  # the same event, to deduplicate on
    assert connector.calls[-1].attempt == 1
    with sessions() as session, session.begin():
        assert outbox.replay(session, None, clock.now()) == 1  # only the dead one is left
    assert worker.run_outbox() == 1
    assert connector.calls[-1].event_id == unreachable[1]
    assert statuses(sessions) == Counter({"delivered": 3})
    with sessions() as session:
        assert outbox.dead_letters(session) == []
    assert Counter(connector.event_ids)[fine[1]] == 1


# -- an outage --------------------------------------------------------------------------------


def test_an_outage_loses_nothing(sessions, runtime, clock):
    """1,000 deliveries are due and the connector fails for its first 1,500 calls."""
    rows = enqueue_rows(sessions, 1000, clock.now())
    expected = {event_id for _, event_id in rows}
    calls = Counter()

    def failure(delivery):
        calls["all"] += 1
        return ConnectionRefusedError("connection refused") if calls["all"] <= 1500 else None

    connector = RecordingConnector(failure)
    worker = Worker(
        runtime,
        sessions,
        connector,
        clock=clock,
        batch=100,
        max_attempts=20,
        retry_after=dt.timedelta(seconds=30),
        max_retry_after=dt.timedelta(minutes=10),
    )
    rounds = 0
    while statuses(sessions)["delivered"] < 1000 and rounds < 20:
        rounds += 1
        while worker.run_outbox():
            pass
        if rounds == 1:
            assert statuses(sessions) == Counter({"pending": 1000})  # failed, none lost
        clock.advance(dt.timedelta(minutes=15))
    assert statuses(sessions) == Counter({"delivered": 1000})
    succeeded = [d.event_id for d in connector.calls[1500:]]
    assert len(set(succeeded)) == 1000
    assert set(succeeded) == expected
    assert len(succeeded) == 1000  # each delivered once: none twice
    assert calls["all"] == 2500
    attempts = Counter(row.attempts for row in rows_by_id(sessions).values())
    assert attempts == Counter({2: 500, 3: 500})


# -- leases -----------------------------------------------------------------------------------


def test_rows_of_a_dead_worker_are_claimed_again_once_the_lease_runs_out(sessions, runtime, clock):
    rows = enqueue_rows(sessions, 5, clock.now())
    lease = dt.timedelta(minutes=2)
    with sessions() as session, session.begin():  # a worker claims three rows, then dies
        claimed = outbox.claim(
            session,
            OutboxMessage,
            due_column=OutboxMessage.next_attempt_at,
            now=clock.now(),
            limit=3,
            lease=lease,
            running="delivering",
        )
        lost = {m.id for m in claimed}
    assert lost == {row_id for row_id, _ in rows[:3]}
    connector = RecordingConnector()
    worker = Worker(runtime, sessions, connector, clock=clock, lease=lease)
    assert worker.run_outbox() == 2  # only the rows nobody holds
    assert set(connector.event_ids) == {event_id for _, event_id in rows[3:]}
    clock.advance(lease - dt.timedelta(seconds=1))
    assert worker.run_outbox() == 0  # the lease still holds
    assert statuses(sessions) == Counter({"delivering": 3, "delivered": 2})
    clock.advance(dt.timedelta(seconds=2))
    assert worker.run_outbox() == 3
    assert Counter(connector.event_ids) == Counter({event_id: 1 for _, event_id in rows})
    found = rows_by_id(sessions)
    assert all(found[i].status == "delivered" and found[i].attempts == 2 for i in lost)


def test_a_worker_that_lost_its_lease_does_not_undo_what_the_next_one_did(sessions, runtime, clock):
    """A worker hangs on a delivery, its lease runs out, a second worker delivers the row;
    when the first one finally hears a refusal, the row stays delivered, not dead."""
    ((row_id, event_id),) = enqueue_rows(sessions, 1, clock.now())
    lease = dt.timedelta(minutes=2)
    second = RecordingConnector()
    second_worker = Worker(runtime, sessions, second, clock=clock, lease=lease)
    redelivered = []

    def hangs_then_refused(delivery):
        clock.advance(lease + dt.timedelta(minutes=1))
        redelivered.append(second_worker.run_outbox())
        raise http_400()

    Worker(runtime, sessions, hangs_then_refused, clock=clock, lease=lease).run_outbox()
    assert redelivered == [1] and second.event_ids == [event_id]
    row = rows_by_id(sessions)[row_id]
    assert row.status == "delivered", (
        f"the row was delivered by the second worker, but the first one (whose lease had run "
        f"out) then marked it {row.status!r}: {row.last_error}"
    )


# -- batches ----------------------------------------------------------------------------------


def count_statements(engine):
    """A list that receives every statement ``engine`` runs (remove the listener after)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("size", [5, 50])
def test_a_batch_is_claimed_and_recorded_in_a_constant_number_of_statements(
    sessions, db_engine, runtime, clock, size
):
    rows = enqueue_rows(sessions, size, clock.now())
    connector = RecordingConnector()
    worker = Worker(runtime, sessions, connector, clock=clock, batch=50)
    seen, stop = count_statements(db_engine)
    try:
        assert worker.run_outbox() == size
    finally:
        stop()
    assert Counter(connector.event_ids) == Counter({event_id: 1 for _, event_id in rows})
    assert statuses(sessions) == Counter({"delivered": size})
    # claim (update, select) and the results (one update), whatever the batch's size
    assert Counter(s for s in seen if s in ("SELECT", "UPDATE")) == Counter(
        {"UPDATE": 2, "SELECT": 1}
    ), seen


def test_results_are_written_as_the_batch_goes_when_it_takes_long(sessions, runtime, clock):
    rows = enqueue_rows(sessions, 4, clock.now())
    seen_by_receiver = []

    def slow(delivery):
        seen_by_receiver.append(dict(statuses(sessions)))
        clock.advance(dt.timedelta(minutes=1))  # each delivery takes a minute

    lease = dt.timedelta(minutes=2)
    worker = Worker(runtime, sessions, slow, clock=clock, lease=lease, flush_every=0)
    assert worker.run_outbox() == 4
    # with flush_every=0, each result is written before the next delivery starts, and the
    # lease of the rows still waiting is extended, so that it never runs out under them
    assert [found.get("delivered", 0) for found in seen_by_receiver] == [0, 1, 2, 3]
    assert statuses(sessions) == Counter({"delivered": 4})
    assert {row.attempts for row in rows_by_id(sessions).values()} == {1}
    assert len(rows) == 4


def test_a_stopping_worker_finishes_the_delivery_in_flight_and_gives_back_the_rest(
    sessions, runtime, clock
):
    rows = enqueue_rows(sessions, 10, clock.now())
    delivered = []
    worker = None

    def deliver(delivery):
        delivered.append(delivery.event_id)
        if len(delivered) == 3:
            worker.stopping.set()  # SIGTERM arrives during the third delivery

    worker = Worker(runtime, sessions, deliver, clock=clock, batch=10)
    assert worker.run_outbox() == 3
    assert delivered == [event_id for _, event_id in rows[:3]]
    found = rows_by_id(sessions)
    assert statuses(sessions) == Counter({"delivered": 3, "pending": 7})
    assert all(
        (m.claim, m.locked_until, m.attempts) == (None, None, 0)
        for m in found.values()
        if m.status == "pending"
    )
    # the rows given back are due at once for any other worker, not after the lease
    connector = RecordingConnector()
    assert Worker(runtime, sessions, connector, clock=clock).run_outbox() == 7
    assert connector.event_ids == [event_id for _, event_id in rows[3:]]


def test_a_stopping_worker_fires_no_more_timers_and_delivers_nothing(sessions, runtime, clock):
    enqueue_rows(sessions, 3, clock.now())
    worker = Worker(runtime, sessions, RecordingConnector(), clock=clock)
    worker.stopping.set()
    assert worker.run_once() == 0
    assert statuses(sessions) == Counter({"pending": 3})


# -- a worker killed with SIGKILL ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def worker_database(request, tmp_path):
    """A database a worker process can open: (url, schema or None, engine)."""
    if request.param == "sqlite":
        url, schema, options = f"sqlite:///{tmp_path / 'worker.db'}", None, {}
    else:
        schema = "worker_kill_test"
        url, options = schema_url_and_options(schema)
    engine = make_engine(url, **options)
    Base.metadata.create_all(engine)
    yield url, schema, engine
    engine.dispose()
    if schema:
        drop_schema(url, schema)


def read_log(path: Path) -> list[str]:
    return [line for line in path.read_text("utf-8").splitlines() if line] if path.exists() else []


def start_worker_process(url, schema, log: Path, *, batch: int, delay: float):
    command = [
        sys.executable,
        "-P",  # not tests/ first on sys.path: tests/engine/ would shadow engine
        str(WORKER_SCRIPT),
        url,
        str(log),
        "--batch",
        str(batch),
        "--delay",
        str(delay),
    ] + (["--schema", schema] if schema else [])
    return subprocess.Popen(
        command,
        env={**os.environ, **EXAMPLE_ENVIRON},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def signal_after(process, log: Path, delivered: int, signum: int) -> tuple[str, str]:
    """Send ``signum`` once ``delivered`` deliveries are in the log; wait for the process to
    end and return its output."""
    try:
        deadline = time.monotonic() + 60
        while len(read_log(log)) < delivered:
            if process.poll() is not None:
                pytest.fail(f"the worker process ended early:\n{process.stderr.read()}")
            if time.monotonic() > deadline:
                pytest.fail("the worker process delivered nothing within 60 s")
            time.sleep(0.005)
        process.send_signal(signum)
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_a_worker_killed_mid_batch_loses_nothing(worker_database, runtime, tmp_path):
    url, schema, engine = worker_database
    sessions = make_session_factory(engine)
    rows = enqueue_rows(sessions, 120, utcnow() - dt.timedelta(minutes=1))
    expected = {event_id for _, event_id in rows}
    log = tmp_path / "delivered.log"
    process = start_worker_process(url, schema, log, batch=25, delay=0.02)
    signal_after(process, log, 37, signal.SIGKILL)  # in the middle of the second batch of 25
    assert process.returncode == -signal.SIGKILL
    before = read_log(log)
    left = statuses(sessions)
    assert left["delivering"] > 0, f"the kill should land mid-batch: {left}"
    assert left["delivered"] < 120

    connector = RecordingConnector()
    # soon after: the rows nobody holds are delivered, the dead worker's claim still holds
    soon = Worker(
        runtime, sessions, connector, clock=FrozenClock(utcnow() + dt.timedelta(seconds=30))
    )
    while soon.run_outbox():
        pass
    assert statuses(sessions)["delivering"] == left["delivering"]
    # later, the lease has run out: a second worker finishes the job
    later = Worker(
        runtime, sessions, connector, clock=FrozenClock(utcnow() + dt.timedelta(hours=1))
    )
    while later.run_outbox():
        pass
    assert statuses(sessions) == Counter({"delivered": 120})
    delivered = before + connector.event_ids
    assert expected - set(delivered) == set()
    twice = [event_id for event_id, count in Counter(delivered).items() if count > 1]
    # the results are written per batch: what the dead worker delivered in its last batch
    # without writing it is delivered again, nothing of the batches it had written
    assert 0 < len(twice) <= 25, twice
    first_batch = {event_id for _, event_id in rows[:25]}
    assert not first_batch & set(twice), "a batch whose results were written was redelivered"


def test_a_worker_stopped_with_sigterm_finishes_its_delivery_and_gives_back_the_rest(
    worker_database, runtime, tmp_path
):
    url, schema, engine = worker_database
    sessions = make_session_factory(engine)
    rows = enqueue_rows(sessions, 120, utcnow() - dt.timedelta(minutes=1))
    expected = {event_id for _, event_id in rows}
    log = tmp_path / "delivered.log"
    process = start_worker_process(url, schema, log, batch=25, delay=0.05)
    out, err = signal_after(process, log, 37, signal.SIGTERM)
    assert process.returncode == 0, err
    assert out.split() == ["started", "stopped"], (out, err)
    before = read_log(log)
    assert 37 <= len(before) < 50, "SIGTERM should stop the worker within its second batch"
    left = statuses(sessions)
    # every delivery it made is written, what it had claimed and not started is given back
    assert left == Counter({"delivered": len(before), "pending": 120 - len(before)}), left
    found = rows_by_id(sessions)
    assert {found[i].attempts for i, _ in rows if found[i].status == "pending"} == {0}

    # at once, without waiting for any lease: another worker delivers the rest
    connector = RecordingConnector()
    other = Worker(runtime, sessions, connector, clock=FrozenClock(utcnow()))
    while other.run_outbox():
        pass
    assert statuses(sessions) == Counter({"delivered": 120})
    delivered = before + connector.event_ids
    assert Counter(delivered) == Counter({event_id: 1 for event_id in expected})
