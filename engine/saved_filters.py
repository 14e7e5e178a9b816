"""An agent's saved inbox filters: a name and the inbox's query string, theirs alone."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .errors import NotFound, Refused
from .models import SavedFilter

MAX_FILTERS = 30
MAX_NAME = 100
MAX_QUERY = 2000


def of_account(session: Session, account_id: int) -> list[SavedFilter]:
    """The agent's saved filters, by name."""
    return list(
        session.scalars(
            sa.select(SavedFilter)
            .where(SavedFilter.account_id == account_id)
            .order_by(SavedFilter.name, SavedFilter.id)
        )
    )


def save(
    session: Session, account_id: int, name: str, query: str, now: dt.datetime
) -> SavedFilter:
    """Keep ``query`` under ``name`` (a filter of the same name is replaced)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise Refused("form", f"a filter's name has 1 to {MAX_NAME} characters")
    if len(query) > MAX_QUERY:
        raise Refused("form", "this filter is too long to be saved")
    mine = of_account(session, account_id)
    same = next((f for f in mine if f.name == name), None)
    if same is not None:
        same.query = query
        session.flush()
        return same
    if len(mine) >= MAX_FILTERS:
        raise Refused("form", f"at most {MAX_FILTERS} saved filters: delete one first")
    saved = SavedFilter(account_id=account_id, name=name, query=query, created_at=now)
    session.add(saved)
    session.flush()
    return saved


def delete(session: Session, account_id: int, filter_id: int) -> None:
    """Delete one of the agent's filters; another's is not found."""
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.account_id != account_id:
        raise NotFound("no such saved filter")
    session.delete(saved)
    session.flush()
