"""Probes, metrics and request logs: what load balancers, Prometheus and log shippers read."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from .portal_helpers import CITIZENS, make_app


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of a Prometheus exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


# -- /healthz and /readyz ---------------------------------------------------------------------


def _unreachable(app) -> None:
    from engine.db import make_session_factory

    broken = sa.create_engine("sqlite:////nonexistent-folder/none.db")
    app.extensions["guichet"].engine = broken
    app.extensions["guichet"].sessions = make_session_factory(broken)


def test_healthz_answers_without_the_database(app):
    _unreachable(app)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_says_ready_on_a_database_at_the_newest_schema(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readyz_is_503_when_the_database_cannot_be_reached(app):
    _unreachable(app)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "reason": "the database cannot be reached",
    }


def test_readyz_is_503_when_the_database_is_behind_the_code(app):
    from engine.migrate import downgrade, heads

    engine = app.extensions["guichet"].engine
    downgrade(engine, "-1")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    reason = response.json["reason"]
    assert f"the code expects {heads().pop()}" in reason
    assert reason.endswith("run guichet db upgrade")


def test_readyz_is_503_on_a_database_never_migrated(tmp_path, example_environ):
    app = make_app(tmp_path, {}, MIGRATE=False, PROCEDURES=None)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"] == "the database has no schema yet: run guichet db upgrade"


@pytest.fixture
def people():
    return CITIZENS


# -- /metrics ---------------------------------------------------------------------------------


def test_requests_are_counted_and_timed_by_url_rule_never_by_path(app):
    client = app.test_client()
    client.get("/suivi/a-secret-tracking-token")
    client.get("/suivi/another-secret-token")
    text = client.get("/metrics").get_data(as_text=True)
    assert "secret" not in text
    rule = "/suivi/<token>"
    counted = sum(
        v
        for (name, labels), v in samples(text).items()
        if name == "guichet_http_requests_total" and ("rule", rule) in labels
    )
    assert counted >= 2
    assert value(text, "guichet_http_request_duration_seconds_count", method="GET", rule=rule) >= 2
    client.get("/no/such/page/a@example.org")
    text = client.get("/metrics").get_data(as_text=True)
    assert "a@example.org" not in text
    assert (
        value(text, "guichet_http_requests_total", method="GET", rule="<unmatched>", status="404")
        >= 1
    )


def test_outbox_depth_dead_letters_and_due_timers_come_from_the_database(app, filed):
    from engine.models import OutboxMessage, Timer

    _, case_id = filed
    state = app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        rows = session.scalars(sa.select(OutboxMessage)).all()
        assert rows, "filing leaves deliveries to make"
        connector = rows[0].connector
        rows[0].status = "dead"
        session.add(
            Timer(case_id=case_id, kind="remind", due_at=state.clock.now() - dt.timedelta(hours=1))
        )
        session.add(
            Timer(case_id=case_id, kind="remind", due_at=state.clock.now() + dt.timedelta(days=9))
        )
        waiting = {}
        for row in rows[1:]:
            waiting[row.connector] = waiting.get(row.connector, 0) + 1
        due = session.scalar(
            sa.select(sa.func.count())
            .select_from(Timer)
            .where(Timer.status == "pending", Timer.due_at <= state.clock.now())
        )
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert value(text, "guichet_outbox_dead_letters", connector=connector) == 1
    for name, count in waiting.items():
        assert value(text, "guichet_outbox_depth", connector=name) == count
    assert value(text, "guichet_timers_due") == due >= 1


def test_delivery_latency_is_observed_per_connector_and_outcome():
    from engine.outbox import Delivery, DeliveryFailed
    from factory.observability import DELIVERY_SECONDS, timed

    def count(connector, outcome):
        for metric in DELIVERY_SECONDS.collect():
            for sample in metric.samples:
                if sample.name.endswith("_count") and sample.labels == {
                    "connector": connector,
                    "outcome": outcome,
                }:
                    return sample.value
        return 0

    def deliver(delivery):
        if delivery.payload.get("fail"):
            raise DeliveryFailed("refused", retryable=False)

    timed_deliver = timed(deliver)
    before = count("latency-test", "delivered"), count("latency-test", "failed")
    timed_deliver(Delivery("e1", "latency-test", "send", None, {}, 1))
    with pytest.raises(DeliveryFailed):
        timed_deliver(Delivery("e2", "latency-test", "send", None, {"fail": True}, 1))
    assert count("latency-test", "delivered") == before[0] + 1
    assert count("latency-test", "failed") == before[1] + 1


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": "scrape-token", "METRICS_ALLOWED_NETWORKS": "127.0.0.1 10.1.0.0/16"}


@pytest.mark.parametrize(
    ("address", "authorization", "status"),
    [
        ("127.0.0.1", None, 200),  # an allowed network
        ("10.1.2.3", None, 200),
        ("203.0.113.9", None, 404),  # anywhere else: nothing there
        ("203.0.113.9", "Bearer wrong", 404),
        ("203.0.113.9", "scrape-token", 404),
        ("203.0.113.9", "Bearer scrape-token", 200),  # the token opens it from anywhere
    ],
)
def test_metrics_are_only_for_allowed_networks_or_the_token(app, address, authorization, status):
    headers = {"Authorization": authorization} if authorization else {}
    response = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == status
    if status == 200:
        assert response.headers["Content-Type"].startswith("text/plain")
        assert "guichet_http_requests_total" in response.get_data(as_text=True)


def test_a_network_that_does_not_read_as_one_stops_the_start(tmp_path, example_environ):
    with pytest.raises(ValueError, match="not-a-network"):
        make_app(tmp_path, {}, METRICS_ALLOWED_NETWORKS="127.0.0.1 not-a-network")


# -- request logs ------------------------------------------------------------------------------


@pytest.fixture
def json_app(tmp_path, example_environ):
    from factory.observability import JsonFormatter

    app = make_app(tmp_path, CITIZENS, LOG_FORMAT="json")
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h.formatter, JsonFormatter))
    stream = io.StringIO()
    handler.setStream(stream)
    yield app, stream
    root.removeHandler(handler)


def test_json_logs_write_one_line_per_request_without_personal_data(json_app):
    app, stream = json_app
    client = app.test_client()
    client.get("/suivi/a-secret-tracking-token?email=a@example.org")
    client.get("/", headers={"X-Request-ID": "from-the-proxy-1"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "guichet.requests"]
    assert len(requests) == 2
    first, second = requests
    assert set(first) == {
        "time",
        "level",
        "logger",
        "message",
        "method",
        "rule",
        "status",
        "duration_ms",
        "request_id",
    }
    assert first["method"] == "GET"
    assert first["rule"] == "/suivi/<token>"
    assert first["status"] == 404
    assert first["duration_ms"] >= 0
    assert len(first["request_id"]) == 32
    assert second["request_id"] == "from-the-proxy-1" and second["status"] == 200
    text = stream.getvalue()
    assert "secret" not in text and "example.org" not in text and "127.0.0.1" not in text


def test_the_request_id_is_sent_back_and_a_strange_one_replaced(app):
    client = app.test_client()
    assert client.get("/", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )
    replaced = client.get("/", headers={"X-Request-ID": 'a b"<script>'}).headers["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()


def test_text_logs_write_no_request_lines(app, caplog):
    with caplog.at_level(logging.INFO, logger="guichet.requests"):
        app.test_client().get("/")
    assert [r for r in caplog.records if r.name == "guichet.requests"] == []


def test_a_request_refused_before_its_view_is_counted_and_logged(json_app):
    app, stream = json_app
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/connexion", data={"email": "a@example.org"})
    assert response.status_code == 400
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["rule"], r["status"]) for r in lines if r["logger"] == "guichet.requests"] == [
        ("/connexion", 400)
    ]
