"""Probes for load balancers and orchestrators, and the Prometheus metrics.

- ``/healthz``: the process answers (it reads nothing, not even the database), for a
  liveness probe: restart the process when it fails.
- ``/readyz``: the database answers and its schema is the newest the code knows, for a
  readiness probe: send no traffic while it says 503 (and why, in ``reason``).
- ``/metrics``: Prometheus's text format (:mod:`factory.observability`), only for a scraper
  that shows the token (``Authorization: Bearer METRICS_TOKEN``) or comes from one of
  ``METRICS_ALLOWED_NETWORKS`` (loopback only by default); anyone else gets a 404, as if
  there were nothing there.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, abort, current_app, jsonify, request

from ..services import db, services

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)


@bp.record_once
def _check_settings(state) -> None:
    """A network that does not read as one stops the start, not the first scrape."""
    networks(state.app.config.get("METRICS_ALLOWED_NETWORKS"))


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    import sqlalchemy as sa

    from engine.migrate import behind

    try:
        # the request's own session: on SQLite, a second connection would wait for its lock
        reason = behind(db().connection())
    except sa.exc.SQLAlchemyError as error:
        log.warning("not ready: the database cannot be reached: %s", type(error).__name__)
        reason = "the database cannot be reached"
    if reason is not None:
        return jsonify(status="unavailable", reason=reason), 503
    return jsonify(status="ready")


@bp.get("/metrics")
def metrics():
    from ..observability import exposition

    if not may_scrape():
        abort(404)
    body = exposition(db(), services().clock.now)
    return current_app.response_class(
        body, mimetype="text/plain", headers={"Content-Type": "text/plain; version=0.0.4"}
    )


def may_scrape() -> bool:
    """Whether the request shows the metrics token, or comes from an allowed network."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    allowed = networks(current_app.config.get("METRICS_ALLOWED_NETWORKS"))
    return any(address in network for network in allowed)


def networks(setting) -> list:
    """The networks of a setting: a list, or a text of addresses and CIDR blocks."""
    setting = setting or ()
    if isinstance(setting, str):
        setting = setting.replace(",", " ").split()
    return [ipaddress.ip_network(text, strict=False) for text in setting]
