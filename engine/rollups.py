"""Statistics rollups: the figures of every procedure in every department, computed by the
worker and read by the dashboards (a request never aggregates cases).

One row per (procedure, department) holds a JSON document (see :func:`compute`); the row
whose procedure and department are both empty is the marker of the last refresh, so that
several workers do not all recompute (see :func:`refresh_if_due`).

The department is the case's current department (the one whose inbox holds it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .clock import Calendar
from .models import Case, CaseEvent, Rollup, Satisfaction, Timer

#: (procedure, department) of the refresh marker
MARKER = ("", "")
WEEKS = 12
CLOSED_WINDOW = dt.timedelta(days=90)
EXPIRY_HORIZONS = (7, 30)
OVERDUE_KINDS = ("fire", "clock_expiry")
HOUR = 3600.0


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ``values``, interpolating between the closest ranks
    (the "linear" method of numpy and spreadsheets); None when there is no value."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentile_of_counts(counts: dict[str, int], fraction: float) -> float | None:
    """:func:`percentile` of the values a histogram ``{value: how many}`` stands for (the
    keys as text, as JSON keeps them)."""
    pairs = sorted((float(value), number) for value, number in counts.items() if number > 0)
    total = sum(number for _value, number in pairs)
    if not total:
        return None
    position = (total - 1) * fraction
    low, high = math.floor(position), math.ceil(position)

    def at(rank: int) -> float:
        seen = 0
        for value, number in pairs:
            seen += number
            if rank < seen:
                return value
        return pairs[-1][0]

    below, above = at(low), at(high)
    return below + (above - below) * (position - low)


def _hours(delta: dt.timedelta) -> str:
    """A duration as the histogram key of its whole number of hours."""
    return str(max(0, round(delta.total_seconds() / HOUR)))


def _count(histogram: dict[str, int], key: str) -> None:
    histogram[key] = histogram.get(key, 0) + 1


def _week_starts(today: dt.date) -> list[dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def _empty(weeks: list[dt.date]) -> dict[str, Any]:
    return {
        "filed_per_week": [
            {
                "week": f"{w.isocalendar().year}-W{w.isocalendar().week:02d}",
                "start": w.isoformat(),
                "count": 0,
            }
            for w in weeks
        ],
        "open_by_state": {},
        "open": 0,
        "processing_days": {"closed": 0, "median": None, "p90": None},
        # histograms {whole hours: how many}: filing to closing (closed in the window), the
        # stays in each state that ended in the window, the stays going on in open cases
        "processing_hours": {},
        "state_hours": {},
        "waiting_hours": {},
        "overdue": 0,
        "expired": 0,
        "expiring": {str(days): 0 for days in EXPIRY_HORIZONS},
        "satisfaction": {"count": 0, "average": None, "ratings": {str(r): 0 for r in range(1, 6)}},
    }


def compute(
    session: Session, now: dt.datetime, calendar: Calendar | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """The figures of every (procedure, department) that has submitted cases."""
    calendar = calendar or Calendar()
    weeks = _week_starts(calendar.today(now))
    week_index = {w: i for i, w in enumerate(weeks)}
    first_week = calendar.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    first_week = first_week - dt.timedelta(days=first_week.weekday(), weeks=WEEKS - 1)
    figures: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: _empty(weeks))
    submitted = Case.submitted_at.is_not(None)
    key = (Case.procedure, Case.department)
    open_ = sa.and_(submitted, Case.closed_at.is_(None), Case.department.is_not(None))

    # every pair with submitted cases gets a row, even one with nothing to show
    for procedure, department in session.execute(
        sa.select(*key).where(submitted, Case.department.is_not(None)).distinct()
    ):
        figures[(procedure, department)]

    # filed per ISO week (local time), the last WEEKS weeks
    for procedure, department, at in session.execute(
        sa.select(*key, Case.submitted_at)
        .where(submitted, Case.department.is_not(None), Case.submitted_at >= first_week)
        .execution_options(yield_per=1000)
    ):
        day = calendar.today(at)
        index = week_index.get(day - dt.timedelta(days=day.weekday()))
        if index is not None:
            figures[(procedure, department)]["filed_per_week"][index]["count"] += 1

    for procedure, department, state, number in session.execute(
        sa.select(*key, Case.state, sa.func.count()).where(open_).group_by(*key, Case.state)
    ):
        data = figures[(procedure, department)]
        data["open_by_state"][state] = number
        data["open"] += number

    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for procedure, department, submitted_at, closed_at in session.execute(
        sa.select(*key, Case.submitted_at, Case.closed_at)
        .where(
            submitted,
            Case.department.is_not(None),
            Case.closed_at.is_not(None),
            Case.closed_at >= now - CLOSED_WINDOW,
            Case.closed_at <= now,
        )
        .execution_options(yield_per=1000)
    ):
        durations[(procedure, department)].append(
            (closed_at - submitted_at).total_seconds() / 86400
        )
        _count(
            figures[(procedure, department)]["processing_hours"], _hours(closed_at - submitted_at)
        )
    for pair, values in durations.items():
        figures[pair]["processing_days"] = {
            "closed": len(values),
            "median": round(percentile(values, 0.5), 2),
            "p90": round(percentile(values, 0.9), 2),
        }

    _time_in_states(session, now, figures, open_)

    overdue = sa.select(Timer.case_id).where(
        Timer.status == "pending", Timer.kind.in_(OVERDUE_KINDS), Timer.due_at < now
    )
    for procedure, department, number in session.execute(
        sa.select(*key, sa.func.count()).where(open_, Case.id.in_(overdue)).group_by(*key)
    ):
        figures[(procedure, department)]["overdue"] = number

    for procedure, department, number in session.execute(
        sa.select(*key, sa.func.count())
        .where(open_, Case.clock_paused_at.is_(None), Case.clock_expires_at < now)
        .group_by(*key)
    ):
        figures[(procedure, department)]["expired"] = number

    for days in EXPIRY_HORIZONS:
        for procedure, department, number in session.execute(
            sa.select(*key, sa.func.count())
            .where(
                open_,
                Case.clock_paused_at.is_(None),
                Case.clock_expires_at >= now,
                Case.clock_expires_at <= now + dt.timedelta(days=days),
            )
            .group_by(*key)
        ):
            figures[(procedure, department)]["expiring"][str(days)] = number

    for procedure, department, rating, number in session.execute(
        sa.select(*key, Satisfaction.rating, sa.func.count())
        .join(Case, Case.id == Satisfaction.case_id)
        .where(Case.department.is_not(None))
        .group_by(*key, Satisfaction.rating)
    ):
        figures[(procedure, department)]["satisfaction"]["ratings"][str(rating)] = number
    for data in figures.values():
        ratings = data["satisfaction"]["ratings"]
        count = sum(ratings.values())
        data["satisfaction"]["count"] = count
        if count:
            total = sum(int(r) * n for r, n in ratings.items())
            data["satisfaction"]["average"] = round(total / count, 2)
    return dict(figures)


def _time_in_states(
    session: Session, now: dt.datetime, figures: dict[tuple[str, str], Any], open_
) -> None:
    """How long cases stay in each state: each stay that ended in the window (from the
    event that entered the state to the one that left it), and each stay going on."""
    changes = (
        sa.select(
            CaseEvent.case_id,
            CaseEvent.from_state,
            CaseEvent.at,
            sa.func.lag(CaseEvent.at, type_=CaseEvent.at.type)
            .over(partition_by=CaseEvent.case_id, order_by=CaseEvent.id)
            .label("entered_at"),
        )
        .where(
            sa.or_(
                CaseEvent.kind == "submitted",
                sa.and_(CaseEvent.kind == "transition", CaseEvent.from_state != CaseEvent.to_state),
            ),
            CaseEvent.case_id.in_(
                sa.select(Case.id).where(
                    Case.submitted_at.is_not(None),
                    sa.or_(Case.closed_at.is_(None), Case.closed_at >= now - CLOSED_WINDOW),
                )
            ),
        )
        .subquery()
    )
    for procedure, department, state, left_at, entered_at in session.execute(
        sa.select(
            Case.procedure,
            Case.department,
            changes.c.from_state,
            changes.c.at,
            changes.c.entered_at,
        )
        .join(Case, Case.id == changes.c.case_id)
        .where(
            Case.department.is_not(None),
            changes.c.from_state.is_not(None),
            changes.c.entered_at.is_not(None),
            changes.c.at >= now - CLOSED_WINDOW,
            changes.c.at <= now,
        )
        .execution_options(yield_per=1000)
    ):
        stays = figures[(procedure, department)]["state_hours"].setdefault(state, {})
        _count(stays, _hours(left_at - entered_at))
    for procedure, department, state, entered_at in session.execute(
        sa.select(Case.procedure, Case.department, Case.state, Case.state_entered_at)
        .where(open_, Case.state.is_not(None), Case.state_entered_at.is_not(None))
        .execution_options(yield_per=1000)
    ):
        waiting = figures[(procedure, department)]["waiting_hours"].setdefault(state, {})
        _count(waiting, _hours(now - entered_at))


def refresh(session: Session, now: dt.datetime, calendar: Calendar | None = None) -> int:
    """Recompute every rollup row (in the caller's transaction); returns how many rows."""
    figures = compute(session, now, calendar)
    existing = {
        (row.procedure, row.department): row
        for row in session.scalars(sa.select(Rollup))
        if (row.procedure, row.department) != MARKER
    }
    for pair, row in existing.items():
        if pair not in figures:
            session.delete(row)
    for (procedure, department), data in figures.items():
        row = existing.get((procedure, department))
        if row is None:
            session.add(
                Rollup(procedure=procedure, department=department, computed_at=now, data=data)
            )
        else:
            row.computed_at, row.data = now, data
    session.flush()
    return len(figures)


def refresh_if_due(
    session: Session, now: dt.datetime, every: dt.timedelta, calendar: Calendar | None = None
) -> bool:
    """Refresh unless another refresh happened less than ``every`` ago or is running now.

    The marker row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one
    writer at a time) so that only one worker recomputes; returns whether this one did.
    """
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Rollup)
    session.execute(
        insert.values(
            procedure=MARKER[0], department=MARKER[1], computed_at=now - every, data={}
        ).on_conflict_do_nothing(index_elements=[Rollup.procedure, Rollup.department])
    )
    marker = session.scalars(
        sa.select(Rollup)
        .where(Rollup.procedure == MARKER[0], Rollup.department == MARKER[1])
        .with_for_update(skip_locked=True)
    ).first()
    if marker is None or now - marker.computed_at < every:
        return False
    refresh(session, now, calendar)
    marker.computed_at = now
    session.flush()
    return True
