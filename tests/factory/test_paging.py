"""Keyset pages: newest or oldest first, each row once, the last page says it is the last."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine.models import AuditEvent
from factory.paging import keyset_page


@pytest.mark.parametrize("ascending", [False, True])
def test_pages_walk_every_row_once_in_order(sessions, ascending):
    at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with sessions() as session, session.begin():
        session.add_all(AuditEvent(at=at, action=f"a{i}", detail={}) for i in range(7))
    with sessions() as session:
        ids = sorted(session.scalars(sa.select(AuditEvent.id)), reverse=not ascending)
        seen, after, pages = [], None, 0
        while True:
            page = keyset_page(
                session, sa.select(AuditEvent), AuditEvent.id, after, size=3, ascending=ascending
            )
            pages += 1
            seen += [row.id for row in page.rows]
            if page.next_after is None:
                break
            assert page.next_after == page.rows[-1].id
            after = page.next_after
    assert seen == ids and pages == 3


def test_a_page_that_holds_the_rest_exactly_is_the_last(sessions):
    at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with sessions() as session, session.begin():
        session.add_all(AuditEvent(at=at, action="a", detail={}) for _ in range(3))
    with sessions() as session:
        page = keyset_page(session, sa.select(AuditEvent), AuditEvent.id, None, size=3)
    assert len(page.rows) == 3 and page.next_after is None
