"""Clients of the REST API: departments' systems that hold a bearer token.

A token is 32 random bytes (URL-safe text), shown once at creation; only its SHA-256 is
kept, so a copy of the database opens nothing. A revoked client's token is refused; each
accepted request records when the client was last seen (at most once a minute, so that a
busy client does not write on every read).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .errors import EngineError, NotFound
from .models import API_SCOPES, ApiClient
from .workflow import Actor

#: The prefix of every token: a leaked one is recognisable by secret scanners.
TOKEN_PREFIX = "gch_"  # noqa: S105 - a prefix, not a secret
#: ``last_used_at`` moves at most this often.
LAST_USED_STEP = dt.timedelta(minutes=1)


class InvalidClient(EngineError):
    """A client cannot be created as asked (unknown scope, no department, name taken)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(
    session: Session,
    name: str,
    *,
    departments: Iterable[str],
    scopes: Iterable[str],
    as_agent: bool = False,
    now: dt.datetime,
    created_by_id: int | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token (the only time the token exists in clear)."""
    name = name.strip()
    departments = sorted(set(departments))
    scopes = sorted(set(scopes))
    if not name or len(name) > 100:
        raise InvalidClient("a client has a name of 1 to 100 characters")
    if not departments:
        raise InvalidClient("a client acts for at least one department")
    unknown = [s for s in scopes if s not in API_SCOPES]
    if unknown or not scopes:
        raise InvalidClient(
            f"unknown scope {', '.join(unknown)}" if unknown else "a client needs a scope"
        )
    if session.scalar(sa.select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise InvalidClient(f"a client is already named {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        token_hash=token_hash(token),
        departments=departments,
        scopes=scopes,
        as_agent=as_agent,
        created_at=now,
        created_by_id=created_by_id,
    )
    session.add(client)
    session.flush()
    return client, token


def authenticate(session: Session, token: str, now: dt.datetime) -> ApiClient | None:
    """The active client holding ``token``, its ``last_used_at`` brought up to date; or
    None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    client = session.scalars(sa.select(ApiClient).where(ApiClient.token_hash == digest)).first()
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        return None
    if client.revoked_at is not None:
        return None
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_STEP:
        client.last_used_at = now
    return client


def revoke(session: Session, name_or_id: str | int, now: dt.datetime) -> ApiClient:
    """Revoke a client (by name or id): its token is refused from now on."""
    client = find(session, name_or_id)
    if client.revoked_at is None:
        client.revoked_at = now
    session.flush()
    return client


def find(session: Session, name_or_id: str | int) -> ApiClient:
    query = sa.select(ApiClient)
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        query = query.where(
            sa.or_(ApiClient.id == int(name_or_id), ApiClient.name == str(name_or_id))
        )
    else:
        query = query.where(ApiClient.name == name_or_id)
    client = session.scalars(query).first()
    if client is None:
        raise NotFound(f"no API client {name_or_id!r}")
    return client


def clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(sa.select(ApiClient).order_by(ApiClient.name)))


def actor_of(client: ApiClient) -> Actor:
    """The actor a client acts as: its departments, and their agents with ``as_agent``."""
    return Actor(
        "api",
        None,
        frozenset(client.departments),
        client_id=client.id,
        as_agent=client.as_agent,
    )
