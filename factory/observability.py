"""What operators read of a running Guichet: Prometheus metrics and request logs.

Metrics (prometheus-client), served at ``/metrics`` by :mod:`factory.ops`:

- ``guichet_http_requests_total`` and ``guichet_http_request_duration_seconds``, by method
  and URL rule (``/suivi/<token>``, never the path, which may hold a tracking token), and
  the status for the count;
- ``guichet_delivery_duration_seconds``, by connector and outcome, observed by whichever
  process delivers (:func:`timed`: the thread of ``guichet serve``, or ``guichet worker``);
- ``guichet_outbox_depth`` (pending and being delivered), ``guichet_outbox_dead_letters``
  (both by connector) and ``guichet_timers_due``: read from the database at scrape time
  (:class:`DatabaseCollector`), so that they are the same whichever process answers and
  however many workers run on however many machines.

Counters and histograms live in the process that counts. With several web processes
(gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder, the same for every web
and worker process of one machine, before they start: prometheus-client's multiprocess mode
keeps each process's values in files there and ``/metrics`` adds them up. A worker on a
machine without web processes serves its own with ``guichet worker --metrics-port``.

Request logs: with ``LOG_FORMAT = "json"``, one JSON line per request on the
``guichet.requests`` logger (method, rule, status, duration, request id), and every other
log line of the process as JSON too. Never a path, a query, an address, an account or an
answer: nothing that names a person.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "guichet_http_requests",
    "HTTP requests answered, by method, URL rule and status.",
    ["method", "rule", "status"],
)
REQUEST_SECONDS = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL rule.",
    ["method", "rule"],
)
DELIVERY_SECONDS = Histogram(
    "guichet_delivery_duration_seconds",
    "Time a connector took to deliver one outbox row, by connector and outcome.",
    ["connector", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

#: A request id a proxy may hand us (``X-Request-ID``): kept if it looks like one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: The rule of a request that matched none (a 404 from the router).
UNMATCHED = "<unmatched>"

request_log = logging.getLogger("guichet.requests")


def rule() -> str:
    """The URL rule of the current request (``/suivi/<token>``), never its path."""
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED


def init_app(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") == "json":
        json_logging()

    def _start() -> None:
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    # first of all, so that a request refused by another hook (CSRF) is timed and logged too
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _count(response):
        started = g.get("started")
        if started is None:  # an error before the first hook: nothing to time
            return response
        seconds = time.perf_counter() - started
        route = rule()
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(request.method, route).observe(seconds)
        response.headers.setdefault("X-Request-ID", g.request_id)
        if app.config.get("LOG_FORMAT") == "json":
            request_log.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "rule": route,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 2),
                        "request_id": g.request_id,
                    }
                },
            )
        return response


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, and the ``fields`` a
    caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_logging(stream=None) -> logging.Handler:
    """Every log line of the process as JSON, on standard error (one handler per process,
    on the root logger, at INFO); returns that handler."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    request_log.setLevel(logging.INFO)
    return handler


# -- deliveries ------------------------------------------------------------------------------


def timed(deliver: Callable) -> Callable:
    """``deliver`` (a worker's connector call), observing how long each delivery takes."""

    def timed_deliver(delivery) -> None:
        started = time.perf_counter()
        outcome = "failed"
        try:
            deliver(delivery)
            outcome = "delivered"
        finally:
            DELIVERY_SECONDS.labels(delivery.connector, outcome).observe(
                time.perf_counter() - started
            )

    return timed_deliver


# -- the database, at scrape time ------------------------------------------------------------


class DatabaseCollector:
    """The outbox and timers as they are in the database when ``/metrics`` is read, through
    the request's own session (a second one would wait for its lock on SQLite)."""

    def __init__(self, session, now: Callable[[], dt.datetime]):
        self.session = session
        self.now = now

    def describe(self):
        return []  # collected on demand only: never at registration

    def collect(self):
        import sqlalchemy as sa

        from engine.models import OutboxMessage, Timer

        depth = GaugeMetricFamily(
            "guichet_outbox_depth",
            "Outbox rows waiting for delivery or being delivered, by connector.",
            labels=["connector"],
        )
        dead = GaugeMetricFamily(
            "guichet_outbox_dead_letters",
            "Outbox rows that failed for good (dead letters), by connector.",
            labels=["connector"],
        )
        session = self.session
        rows = session.execute(
            sa.select(OutboxMessage.status, OutboxMessage.connector, sa.func.count())
            .where(OutboxMessage.status.in_(("pending", "delivering", "dead")))
            .group_by(OutboxMessage.status, OutboxMessage.connector)
        ).all()
        due = session.scalar(
            sa.select(sa.func.count())
            .select_from(Timer)
            .where(Timer.status == "pending", Timer.due_at <= self.now())
        )
        waiting: dict[str, int] = {}
        for status, connector, count in rows:
            if status == "dead":
                dead.add_metric([connector], count)
            else:
                waiting[connector] = waiting.get(connector, 0) + count
        for connector, count in sorted(waiting.items()):
            depth.add_metric([connector], count)
        yield depth
        yield dead
        yield GaugeMetricFamily("guichet_timers_due", "Timers due and not fired yet.", value=due)


def exposition(session, now: Callable[[], dt.datetime]) -> bytes:
    """The text of ``/metrics``: this process's (or, in multiprocess mode, every process's
    of this machine) counters and histograms, then the database's gauges."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseCollector(session, now))
    return generate_latest(counted) + generate_latest(database)
