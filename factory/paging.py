"""Keyset pages of a list (the inbox, the audit log): rows after an id, and the id the next
page starts after; the link to it is ``macros.html``'s ``next_page``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    #: the key of the last row when more rows follow (the next page's ``after``), else None
    next_after: Any = None


def keyset_page(
    session: Session,
    query: sa.Select,
    key,
    after: Any,
    *,
    size: int,
    ascending: bool = False,
) -> KeysetPage:
    """At most ``size`` rows of ``query`` ordered by the column ``key`` (newest first unless
    ``ascending``), starting after the key ``after`` (None: from the start)."""
    if after is not None:
        query = query.where(key > after if ascending else key < after)
    order = key.asc() if ascending else key.desc()
    rows = list(session.scalars(query.order_by(order).limit(size + 1)))
    if len(rows) <= size:
        return KeysetPage(rows)
    rows = rows[:size]
    return KeysetPage(rows, getattr(rows[-1], key.key))
