"""The statistics rollups: what refresh computes, and how often the worker refreshes them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import cases, exchanges, rollups
from engine.models import Case, Rollup, Timer
from engine.worker import Worker
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, RecordingConnector, terrace_answers

ETAT_CIVIL = Actor("agent", None, frozenset({"etat-civil"}))
DOMAINE = Actor("agent", None, frozenset({"domaine-public"}))


def file(session, runtime, published, clock, slug="acte-naissance"):
    answers = (
        dict(BIRTH_ANSWERS)
        if slug == "acte-naissance"
        else terrace_answers(runtime.calendar.today(clock.now()))
    )
    return cases.submit_answers(session, runtime, published[slug], answers, Actor("citizen"), clock)


def rate(session, case, clock, rating):
    citizen = Actor("citizen", tracking_token=case.tracking_token)
    exchanges.rate(session, case, citizen, clock, rating)


def rows(sessions) -> dict[tuple[str, str], Rollup]:
    with sessions() as session:
        return {(r.procedure, r.department): r for r in session.scalars(sa.select(Rollup))}


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([], None, None), ([3.0], 3.0, 3.0), ([10, 1, 4, 2], 3.0, 8.2), ([1, 2, 3], 2, 2.8)],
)
def test_percentiles_interpolate_between_ranks(values, median, p90):
    assert rollups.percentile(values, 0.5) == pytest.approx(median)
    assert rollups.percentile(values, 0.9) == pytest.approx(p90)


def test_refresh_computes_the_figures(sessions, runtime, published, clock):
    t0 = clock.now()  # Monday 2 March 2026, week 10
    with sessions() as session, session.begin():
        # two occupations with a two-month legal clock, filed earlier
        clock.set(dt.datetime(2026, 2, 14, 9, 0, tzinfo=dt.UTC))  # week 7
        soon = file(session, runtime, published, clock, "occupation-domaine-public")
        clock.set(t0)
        later = file(session, runtime, published, clock, "occupation-domaine-public")
        births = [file(session, runtime, published, clock) for _ in range(5)]
        for days, case in zip((1, 2, 4, 10), births[:4], strict=True):
            clock.set(t0 + dt.timedelta(days=days))
            if days == 1:  # the fifth waits for the citizen, 30 days at most
                cases.fire(
                    session,
                    runtime,
                    births[4],
                    "demander_precisions",
                    ETAT_CIVIL,
                    clock,
                    values={"message": "Précisez la date."},
                )
            cases.fire(session, runtime, case, "delivrer", ETAT_CIVIL, clock)
        rate(session, births[0], clock, 5)
        rate(session, births[1], clock, 3)
        clock.set(t0 + dt.timedelta(days=7))  # week 11
        file(session, runtime, published, clock)
        soon_expiry, later_expiry = soon.clock_expires_at, later.clock_expires_at
    now = t0 + dt.timedelta(days=40)  # Saturday 11 April, week 15
    assert now < soon_expiry <= now + dt.timedelta(days=7)
    assert now + dt.timedelta(days=7) < later_expiry <= now + dt.timedelta(days=30)
    with sessions() as session, session.begin():
        assert rollups.refresh(session, now, runtime.calendar) == 2
    found = rows(sessions)
    assert set(found) == {
        ("acte-naissance", "etat-civil"),
        ("occupation-domaine-public", "domaine-public"),
    }
    births = found[("acte-naissance", "etat-civil")]
    assert births.computed_at == now
    data = births.data
    weeks = data["filed_per_week"]
    assert len(weeks) == 12
    assert weeks[-1] == {"week": "2026-W15", "start": "2026-04-06", "count": 0}
    assert weeks[0]["week"] == "2026-W04"
    assert {w["week"]: w["count"] for w in weeks if w["count"]} == {"2026-W10": 5, "2026-W11": 1}
    assert data["open_by_state"] == {"attente_usager": 1, "recue": 1}
    assert data["open"] == 2
    assert data["processing_days"] == {"closed": 4, "median": 3.0, "p90": 8.2}
    assert data["overdue"] == 1  # the citizen's 30 days ran out; no worker fired it yet
    assert data["expiring"] == {"7": 0, "30": 0}
    assert data["satisfaction"] == {
        "count": 2,
        "average": 4.0,
        "ratings": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }
    occupations = found[("occupation-domaine-public", "domaine-public")].data
    assert {w["week"]: w["count"] for w in occupations["filed_per_week"] if w["count"]} == {
        "2026-W07": 1,
        "2026-W10": 1,
    }
    assert occupations["open_by_state"] == {"deposee": 2}
    assert occupations["expiring"] == {"7": 1, "30": 2}
    assert occupations["overdue"] == 0
    assert occupations["processing_days"] == {"closed": 0, "median": None, "p90": None}
    assert occupations["satisfaction"]["count"] == 0

    # closed cases leave the 90-day window; a rollup with no case left disappears
    with sessions() as session, session.begin():
        session.execute(sa.delete(Case).where(Case.procedure == "occupation-domaine-public"))
        assert rollups.refresh(session, t0 + dt.timedelta(days=200), runtime.calendar) == 1
    found = rows(sessions)
    assert set(found) == {("acte-naissance", "etat-civil")}
    data = found[("acte-naissance", "etat-civil")].data
    assert data["processing_days"]["closed"] == 0
    assert sum(w["count"] for w in data["filed_per_week"]) == 0
    assert data["satisfaction"]["count"] == 2  # every rating counts


def test_the_worker_refreshes_at_most_every_interval(sessions, runtime, published, clock):
    worker = Worker(
        runtime,
        sessions,
        RecordingConnector(),
        clock=clock,
        rollup_every=dt.timedelta(minutes=5),
    )
    with sessions() as session, session.begin():
        file(session, runtime, published, clock)
    worker.run_once()
    first = rows(sessions)
    assert first[rollups.MARKER].computed_at == clock.now()
    assert first[("acte-naissance", "etat-civil")].data["open"] == 1

    with sessions() as session, session.begin():
        file(session, runtime, published, clock)
    clock.advance(dt.timedelta(minutes=4))
    assert worker.refresh_rollups() is False
    # another worker, sharing the database, does not recompute either
    other = Worker(runtime, sessions, RecordingConnector(), clock=clock)
    other.run_once()
    skipped = rows(sessions)
    assert skipped[rollups.MARKER].computed_at == first[rollups.MARKER].computed_at
    assert skipped[("acte-naissance", "etat-civil")].data["open"] == 1

    clock.advance(dt.timedelta(minutes=1))
    assert worker.refresh_rollups() is True
    again = rows(sessions)
    assert again[rollups.MARKER].computed_at == clock.now()
    assert again[("acte-naissance", "etat-civil")].data["open"] == 2


def test_a_worker_without_interval_never_refreshes(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        file(session, runtime, published, clock)
    Worker(runtime, sessions, RecordingConnector(), clock=clock, rollup_every=None).run_once()
    assert rows(sessions) == {}
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Timer)) > 0
