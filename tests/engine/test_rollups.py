"""The statistics rollups: what refresh computes, and how often the worker refreshes them."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import cases, exchanges, rollups
from engine.figures import combine
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
    other = Worker(
        runtime, sessions, RecordingConnector(), clock=clock, rollup_every=dt.timedelta(minutes=5)
    )
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


def test_time_in_each_state_and_processing_percentiles(sessions, runtime, published, clock):
    """Known cases at known moments: the stays in each state, the processing time, and the
    state where cases wait the longest."""
    t0 = clock.now()
    day = dt.timedelta(days=1)
    with sessions() as session, session.begin():
        asked = file(session, runtime, published, clock)
        delivered = file(session, runtime, published, clock)
        clock.set(t0 + day)
        waiting = file(session, runtime, published, clock)
        clock.set(t0 + 2 * day)  # 2 days in "recue"
        cases.fire(
            session, runtime, asked, "demander_precisions", ETAT_CIVIL, clock,
            values={"message": "Précisez la date."},
        )  # fmt: skip
        clock.set(t0 + 4 * day)  # 4 days in "recue"
        cases.fire(session, runtime, delivered, "delivrer", ETAT_CIVIL, clock)
        clock.set(t0 + 5 * day)  # 3 days waiting for the citizen
        citizen = Actor("citizen", tracking_token=asked.tracking_token)
        cases.fire(
            session, runtime, asked, "apporter_precisions", citizen, clock,
            values={"reponse": "Le 3 mars."},
        )  # fmt: skip
        clock.set(t0 + 6 * day)  # 1 day in "en_traitement"
        cases.fire(session, runtime, asked, "delivrer", ETAT_CIVIL, clock)
        assert waiting.state == "recue"
    now = t0 + 10 * day  # the third case has been waiting in "recue" for 9 days
    with sessions() as session, session.begin():
        rollups.refresh(session, now, runtime.calendar)
    data = rows(sessions)[("acte-naissance", "etat-civil")].data
    assert data["processing_hours"] == {"144": 1, "96": 1}
    assert data["state_hours"] == {
        "recue": {"48": 1, "96": 1},
        "attente_usager": {"72": 1},
        "en_traitement": {"24": 1},
    }
    assert data["waiting_hours"] == {"recue": {"216": 1}}
    assert data["expired"] == 0

    figures = combine([data], order=["recue", "en_traitement", "attente_usager"])
    assert (figures.closed, figures.median_days, figures.p90_days) == (2, 5.0, 5.8)
    assert [s.state for s in figures.states] == ["recue", "en_traitement", "attente_usager"]
    recue = figures.states[0]
    assert (recue.stays, recue.median_days, recue.p90_days) == (2, 3.0, 3.8)
    assert (recue.waiting, recue.waiting_median_days) == (1, 9.0)
    # 48 + 96 + 216 of the 456 hours cases spent in a state
    assert recue.share == pytest.approx(360 / 456, abs=1e-4)
    assert figures.bottleneck is recue
    assert [s.bottleneck for s in figures.states] == [True, False, False]
    assert figures.filed == 3 and figures.open == 1

    # two departments add up: counts are summed, percentiles taken over both histograms
    other = dict(data, processing_hours={"240": 2}, open=4, overdue=2, expired=1)
    both = combine([data, other])
    assert both.closed == 4 and both.open == 5 and both.expired == 1 and both.overdue == 2
    assert both.median_days == 8.0  # 4, 6, 10, 10 days
    assert both.filed == 6


def test_expired_legal_clocks_are_counted(sessions, runtime, published, clock):
    with sessions() as session, session.begin():
        case = file(session, runtime, published, clock, "occupation-domaine-public")
        expires = case.clock_expires_at
    with sessions() as session, session.begin():
        rollups.refresh(session, expires + dt.timedelta(hours=1), runtime.calendar)
    data = rows(sessions)[("occupation-domaine-public", "domaine-public")].data
    assert data["expired"] == 1
    assert combine([data]).expired == 1
