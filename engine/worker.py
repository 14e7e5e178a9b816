"""The worker: fires due timers and delivers the outbox, with retries and dead letters.

Run as ``guichet worker`` (any number, on any number of machines: rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL) or as a thread of the embedded server. A claim is
a lease: the rows of a worker that dies are claimed again once it runs out, so nothing is
lost, and receivers deduplicate on the event id. Outbox rows are claimed in batches and
their results written in batches (one transaction per batch, not per delivery); a worker
asked to stop (SIGTERM, ``stop_on_signals``) finishes the delivery in flight, writes what it
did and gives back what it had not started.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from . import cases, drafts, retention, rollups, texts
from .catalogue import Runtime
from .clock import Clock
from .errors import Conflict, EngineError, Refused
from .models import Case, OutboxMessage, Timer
from .notifications import notify_text, site_language, site_timezone
from .outbox import Delivery, DeliveryFailed, backoff, claim
from .storage import Storage, as_storage, remove
from .workflow import Actor

log = logging.getLogger(__name__)

Deliver = Callable[[Delivery], None]


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        sessions: sessionmaker,
        deliver: Deliver,
        *,
        clock: Clock | None = None,
        batch: int = 50,
        lease: dt.timedelta = dt.timedelta(minutes=2),
        max_attempts: int = 8,
        retry_after: dt.timedelta = dt.timedelta(seconds=30),
        max_retry_after: dt.timedelta = dt.timedelta(hours=1),
        rollup_every: dt.timedelta | None = dt.timedelta(minutes=1),
        draft_retention_days: int | None = None,
        purge_every: dt.timedelta = dt.timedelta(hours=1),
        uploads: Storage | Path | None = None,
        flush_every: float = 1.0,
        anonymise_closed: bool = True,
    ):
        self.runtime = runtime
        self.sessions = sessions
        self.deliver = deliver
        self.clock = clock or Clock()
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.retry_after = retry_after
        self.max_retry_after = max_retry_after
        #: how often the statistics rollups are recomputed (None: never, by this worker)
        self.rollup_every = rollup_every
        #: anonymous drafts idle for longer are purged, with their files (None: never)
        self.draft_retention_days = draft_retention_days
        self.purge_every = purge_every
        #: where attachments' bytes are (a folder is read as a LocalStorage)
        self.storage = as_storage(uploads)
        self._purged_at: dt.datetime | None = None
        #: seconds after which the results of a batch are written even if it goes on
        self.flush_every = flush_every
        #: set to stop after the delivery (or timer) in flight; ``run`` uses its own event
        self.stopping = threading.Event()
        #: whether closed cases past their retention are anonymised (engine.retention)
        self.anonymise_closed = anonymise_closed
        self._anonymised_at: dt.datetime | None = None

    # -- timers ------------------------------------------------------------------------------

    def run_timers(self) -> int:
        if self.stopping.is_set():
            return 0
        with self.sessions() as session, session.begin():
            claimed = claim(
                session,
                Timer,
                due_column=Timer.due_at,
                now=self.clock.now(),
                limit=self.batch,
                lease=self.lease,
            )
            ids = [t.id for t in claimed]
            token = claimed[0].claim if claimed else None
        for index, timer_id in enumerate(ids):
            if self.stopping.is_set():
                self._release_timers(token, ids[index:])
                return index
            self._run_timer(timer_id)
        return len(ids)

    def _release_timers(self, token: str, ids: list[int]) -> None:
        """Timers claimed but not fired (the worker stops): due again at once."""
        with self.sessions() as session, session.begin():
            session.execute(
                sa.update(Timer)
                .where(Timer.id.in_(ids), Timer.status == "running", Timer.claim == token)
                .values(
                    status="pending", locked_until=None, claim=None, attempts=Timer.attempts - 1
                )
                .execution_options(synchronize_session=False)
            )

    def _run_timer(self, timer_id: int) -> None:
        with self.sessions() as session:
            try:
                with session.begin():
                    timer = session.get(Timer, timer_id)
                    self._fire(session, timer)
                    timer.status, timer.done_at = "done", self.clock.now()
            except Conflict:
                # an agent changed the case at the same moment: try again shortly
                self._set_timer(session, timer_id, "pending", None)
            except Refused as refusal:
                self._set_timer(session, timer_id, "refused", str(refusal))
            except Exception as error:  # noqa: BLE001 - a broken timer must not stop the worker
                log.exception("timer %s failed", timer_id)
                self._set_timer(session, timer_id, "pending", repr(error))

    def _set_timer(self, session: Session, timer_id: int, status: str, error: str | None) -> None:
        with session.begin():
            timer = session.get(Timer, timer_id)
            timer.status, timer.last_error = status, error
            if status == "pending":
                timer.due_at = self.clock.now() + self.retry_after
            else:
                timer.done_at = self.clock.now()

    def _fire(self, session: Session, timer: Timer) -> None:
        case = session.get(Case, timer.case_id)
        now = self.clock.now()
        if case is None or case.closed_at is not None:
            return
        compiled = self.runtime.catalogue.compiled(session, case.version_id)
        if timer.kind in ("fire", "remind") and (
            case.state != timer.state or timer.created_at < case.state_entered_at
        ):
            return  # the case left the state (or entered it again): this deadline is over
        if timer.kind == "clock_expiry" and case.clock_expires_at != timer.due_at:
            return  # the clock was paused or restarted since
        if timer.kind == "clock_alert" and not self._alert_is_current(compiled, case, timer):
            return
        if timer.kind in ("fire", "clock_expiry"):
            cases.fire(session, self.runtime, case, timer.transition, Actor.timer(), self.clock)
            return
        audience = timer.audience or "agents"
        language = site_language(self.runtime)
        if timer.kind == "clock_alert":
            expires = self.runtime.calendar.local(case.clock_expires_at).date()
            subject, body = texts.clock_alert(language, case.reference, expires)
            notify_text(
                session, self.runtime, compiled, case, "agents", now, subject=subject, body=body
            )
        else:
            subject, body = texts.deadline_reminder(
                language, case.reference, timer.created_at, site_timezone(self.runtime)
            )
            notify_text(
                session, self.runtime, compiled, case, audience, now, subject=subject, body=body
            )

    def _alert_is_current(self, compiled, case: Case, timer: Timer) -> bool:
        """Whether an alert belongs to the clock's current expiry (not paused, not moved)."""
        clock = compiled.procedure.workflow.clock
        if clock is None or case.clock_expires_at is None or not clock.alert_before_days:
            return False
        expected = self.runtime.calendar.add(
            case.clock_expires_at,
            days=-clock.alert_before_days,
            working_days=clock.working_days and bool(clock.days),
        )
        return expected == timer.due_at

    # -- outbox ------------------------------------------------------------------------------

    def run_outbox(self) -> int:
        """Claim a batch of due rows, deliver them, and record the results in batches.

        One transaction claims the batch; the results are written together at the end of the
        batch, or as soon as ``flush_every`` has passed since the last write (then the lease
        of the rows still waiting is extended). A worker killed in between loses nothing: the
        rows it delivered without recording it are still claimed and delivered again once
        the lease runs out (at least once; receivers deduplicate on the event id). When the
        worker is asked to stop, it finishes the delivery in flight, records the results and
        gives the rows it has not started back at once. Returns how many were delivered or
        attempted."""
        if self.stopping.is_set():
            return 0
        with self.sessions() as session, session.begin():
            claimed = claim(
                session,
                OutboxMessage,
                due_column=OutboxMessage.next_attempt_at,
                now=self.clock.now(),
                limit=self.batch,
                lease=self.lease,
                running="delivering",
            )
            token = claimed[0].claim if claimed else None
            deliveries = [
                (
                    m.id,
                    Delivery(
                        m.event_id,
                        m.connector,
                        m.kind,
                        m.audience,
                        _with_documents(session, m.payload),
                        m.attempts,
                    ),
                )
                for m in claimed
            ]
        if not deliveries:
            return 0
        results: list[tuple[int, Delivery, str | None, bool]] = []
        flushed = time.monotonic()
        done = 0
        for index, (message_id, delivery) in enumerate(deliveries):
            if self.stopping.is_set():
                break
            error, retryable = self._attempt(delivery)
            results.append((message_id, delivery, error, retryable))
            done = index + 1
            if time.monotonic() - flushed >= self.flush_every and done < len(deliveries):
                waiting = [m for m, _ in deliveries[done:]]
                self._record(token, results, extend=waiting)
                results, flushed = [], time.monotonic()
        self._record(token, results, release=[m for m, _ in deliveries[done:]])
        return done

    def _attempt(self, delivery: Delivery) -> tuple[str | None, bool]:
        """One delivery through the connector: (the error or None, whether to retry)."""
        try:
            self.deliver(delivery)
        except DeliveryFailed as failure:
            return str(failure), failure.retryable
        except Exception as failure:  # noqa: BLE001 - any connector error is retried
            return f"{type(failure).__name__}: {failure}", True
        return None, True

    def _record(
        self,
        token: str,
        results: list[tuple[int, Delivery, str | None, bool]],
        *,
        extend: list[int] = (),
        release: list[int] = (),
    ) -> None:
        """Write the results of deliveries in one transaction. Only the rows still held by
        this claim are written: a row whose lease ran out and that another worker took
        keeps that worker's result."""
        if not results and not extend and not release:
            return
        now = self.clock.now()
        mine = sa.and_(OutboxMessage.claim == token, OutboxMessage.status == "delivering")
        delivered = [message_id for message_id, _, error, _ in results if error is None]
        with self.sessions() as session, session.begin():
            if delivered:
                written = session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(delivered), mine)
                    .values(
                        status="delivered",
                        delivered_at=now,
                        last_error=None,
                        claim=None,
                        locked_until=None,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if written != len(delivered):
                    # our lease ran out and another worker took rows: its results stand
                    log.warning(
                        "%d deliveries were taken over by another worker",
                        len(delivered) - written,
                    )
            for message_id, delivery, error, retryable in results:
                if error is None:
                    continue
                if not retryable or delivery.attempt >= self.max_attempts:
                    values = {"status": "dead", "last_error": error}
                    log.warning(
                        "delivery %s to %s is a dead letter: %s",
                        delivery.event_id,
                        delivery.connector,
                        error,
                    )
                else:
                    wait = backoff(delivery.attempt, self.retry_after, self.max_retry_after)
                    values = {
                        "status": "pending",
                        "last_error": error,
                        "next_attempt_at": now + wait,
                    }
                session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, mine)
                    .values(claim=None, locked_until=None, **values)
                    .execution_options(synchronize_session=False)
                )
            if extend:
                session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(extend), mine)
                    .values(locked_until=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
            if release:
                # not attempted: back in the queue at once, and this claim is not an attempt
                session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id.in_(release), mine)
                    .values(
                        status="pending",
                        claim=None,
                        locked_until=None,
                        attempts=OutboxMessage.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                )

    # -- statistics --------------------------------------------------------------------------

    def refresh_rollups(self) -> bool:
        """Recompute the statistics rollups if no worker did in the last ``rollup_every``;
        returns whether this worker did."""
        if self.rollup_every is None:
            return False
        try:
            with self.sessions() as session, session.begin():
                return rollups.refresh_if_due(
                    session, self.clock.now(), self.rollup_every, self.runtime.calendar
                )
        except Exception:  # noqa: BLE001 - statistics must not stop the deliveries
            log.exception("the statistics rollups could not be refreshed")
            return False

    # -- abandoned drafts --------------------------------------------------------------------

    def purge_drafts(self) -> int:
        """Delete the abandoned anonymous drafts and their files, at most every
        ``purge_every`` (per worker; purging twice at once deletes nothing twice); returns
        how many drafts went."""
        if self.draft_retention_days is None:
            return 0
        now = self.clock.now()
        if self._purged_at is not None and now - self._purged_at < self.purge_every:
            return 0
        try:
            with self.sessions() as session, session.begin():
                purged = drafts.purge_abandoned(session, self.clock, days=self.draft_retention_days)
        except Exception:  # noqa: BLE001 - housekeeping must not stop the deliveries
            log.exception("the abandoned drafts could not be purged")
            return 0
        drafts.remove_files(self.storage, purged.attachments)
        if len(purged.cases) < drafts.BATCH:
            self._purged_at = now  # else more are waiting: go on at the next round
        if purged.cases:
            log.info("%d abandoned drafts purged", len(purged.cases))
        return len(purged.cases)

    # -- retention of closed cases ----------------------------------------------------------

    def anonymise_expired(self) -> int:
        """Anonymise the closed cases past their retention (engine.retention), at most every
        ``purge_every``; returns how many."""
        if not self.anonymise_closed:
            return 0
        now = self.clock.now()
        if self._anonymised_at is not None and now - self._anonymised_at < self.purge_every:
            return 0
        try:
            with self.sessions() as session, session.begin():
                purged = retention.purge(session, self.runtime, self.clock)
        except Exception:  # noqa: BLE001 - housekeeping must not stop the deliveries
            log.exception("the closed cases past their retention could not be anonymised")
            return 0
        remove(self.storage, purged.attachments)
        if len(purged.cases) < retention.BATCH:
            self._anonymised_at = now  # else more are waiting: go on at the next round
        if purged.cases:
            log.info("%d closed cases anonymised", len(purged.cases))
        return len(purged.cases)

    # -- loop --------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Fire the due timers, then deliver the due outbox rows; returns how many.

        The statistics rollups are refreshed, abandoned drafts purged and closed cases past
        their retention anonymised too when they are due (not counted), unless the worker is
        stopping."""
        done = self.run_timers()
        if not self.stopping.is_set():
            done += self.run_outbox()
        if not self.stopping.is_set():
            self.refresh_rollups()
            self.purge_drafts()
            self.anonymise_expired()
        return done

    def run(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Work until ``stop`` is set: the delivery or timer in flight is finished, its result
        recorded, and what was claimed but not started is given back before returning."""
        self.stopping = stop
        while not stop.is_set():
            try:
                done = self.run_once()
            except (sa.exc.OperationalError, EngineError):
                log.exception("the worker could not run; trying again")
                done = 0
            if not done:
                stop.wait(idle)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the worker finishes what is in flight, then returns);
    the same signal a second time ends the process at once (what was claimed is claimed
    again when its lease runs out). Call it from the main thread."""

    def handler(signum, frame) -> None:
        log.info("stopping after the delivery in flight (%s)", signal.Signals(signum).name)
        stop.set()
        signal.signal(signum, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _with_documents(session: Session, payload: dict) -> dict:
    """A notification's payload with the documents it carries as attachments (read from
    their rows at delivery; the outbox row keeps only their ids)."""
    ids = payload.get("documents")
    if not ids:
        return payload
    from .documents import mail_attachments

    return {**payload, "attachments": mail_attachments(session, list(ids))}


def start_thread(worker: Worker, idle: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """Run a worker as a daemon thread (the embedded default); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(stop, idle), name="guichet-worker", daemon=True
    )
    thread.start()
    return thread, stop
