"""Who calls the API: the client behind ``Authorization: Bearer TOKEN``, and its scopes.

The API never reads the session cookie: a browser signed in to Guichet reaches nothing
here without a token, so the blueprint needs no CSRF token either (a browser never adds
an ``Authorization`` header by itself).
"""

from __future__ import annotations

import functools
import hashlib

from flask import current_app, g, request

from engine import api_clients
from engine.models import ApiClient
from engine.workflow import Actor

from ..services import db, services
from .problems import ApiProblem


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """What the rate limit counts by: the client (its token's digest), or the remote
    address for a request without a token."""
    token = bearer_token()
    if token is None:
        return "api-anonymous:" + (request.remote_addr or "")
    return "api-client:" + hashlib.sha256(token.encode()).hexdigest()


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def authenticate() -> None:
    """The blueprint's ``before_request``: the client, or a 401 problem."""
    if request.method == "OPTIONS" or request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token()
    client = (
        api_clients.authenticate(db(), token, services().clock.now()) if token is not None else None
    )
    if client is None:
        raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="guichet"'})
    if db().is_modified(client):
        db().commit()  # last_used_at, even when the request then fails
    g.api_client = client


#: What anyone may read: the API's description.
PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.documentation"})


def client() -> ApiClient:
    return g.api_client


def actor() -> Actor:
    return api_clients.actor_of(client())


def requires(scope: str):
    """The view needs ``scope`` (a 403 problem otherwise)."""

    def decorator(view):
        view.api_scope = scope

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if scope not in client().scopes:
                raise ApiProblem(403, scope=scope)
            return view(*args, **kwargs)

        wrapper.api_scope = scope
        return wrapper

    return decorator


def audit(action: str, case=None, **detail) -> None:
    """Record the client's ``action`` (on ``case``) in the audit log, in the request's
    transaction: the log names the client, never an account."""
    from engine.audit import record

    current = client()
    record(
        db(),
        None,
        action,
        services().clock.now(),
        case=case,
        detail={"api_client": current.id, "api_client_name": current.name, **detail},
    )
