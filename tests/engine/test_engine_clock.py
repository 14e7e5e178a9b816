"""Deadlines, reminders, working days and the legal clock, fired by the worker with simulated
time, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from engine import cases, outbox
from engine.clock import Calendar, add_working_days, is_working_day, working_days_between
from engine.models import Case, CaseEvent, Notification, OutboxMessage, Timer
from engine.worker import Worker
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, RecordingConnector, bike_answers, terrace_answers

UTC = dt.UTC
CIVIL_REGISTRY = Actor("agent", None, frozenset({"etat-civil"}))
PUBLIC_DOMAIN = Actor("agent", None, frozenset({"domaine-public"}))
ECOLOGY = Actor("agent", None, frozenset({"transition-ecologique"}))
ECOLOGY_HEAD = Actor("supervisor", None, frozenset({"transition-ecologique"}))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# -- working days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 3, 2), True),  # a Monday
        (dt.date(2026, 3, 7), False),  # a Saturday
        (dt.date(2026, 3, 8), False),  # a Sunday
        (dt.date(2026, 4, 6), False),  # Easter Monday
        (dt.date(2026, 4, 7), True),
        (dt.date(2026, 5, 1), False),  # Labour Day, a Friday
        (dt.date(2026, 5, 8), False),  # Victory in Europe Day, a Friday
        (dt.date(2026, 5, 14), False),  # Ascension Day, a Thursday
        (dt.date(2026, 7, 14), False),  # Bastille Day, a Tuesday
        (dt.date(2026, 7, 15), True),
        (dt.date(2026, 11, 11), False),  # Armistice Day, a Wednesday
        (dt.date(2026, 12, 25), False),  # Christmas, a Friday
        (dt.date(2026, 12, 24), True),
    ],
)
def test_working_days_are_week_days_that_are_not_public_holidays(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (dt.date(2026, 3, 6), 1, dt.date(2026, 3, 9)),  # a Friday + 1 = the Monday
        (dt.date(2026, 3, 2), 5, dt.date(2026, 3, 9)),
        (dt.date(2026, 4, 3), 1, dt.date(2026, 4, 7)),  # over Easter Monday
        (dt.date(2026, 4, 30), 1, dt.date(2026, 5, 4)),  # over 1 May and the week-end
        (dt.date(2026, 7, 13), 1, dt.date(2026, 7, 15)),  # over 14 July
        (dt.date(2026, 12, 24), 1, dt.date(2026, 12, 28)),  # over Christmas and the week-end
        (dt.date(2026, 3, 2), 30, dt.date(2026, 4, 14)),
        (dt.date(2026, 3, 9), -1, dt.date(2026, 3, 6)),  # backwards
        (dt.date(2026, 4, 30), -5, dt.date(2026, 4, 23)),
        (dt.date(2026, 3, 7), 0, dt.date(2026, 3, 7)),
    ],
)
def test_adding_working_days(start, count, expected):
    assert add_working_days(start, count) == expected


def test_working_days_between_and_the_local_time_of_day():
    assert working_days_between(dt.date(2026, 3, 16), dt.date(2026, 4, 14)) == 20
    assert working_days_between(dt.date(2026, 4, 3), dt.date(2026, 4, 7)) == 1
    assert working_days_between(dt.date(2026, 4, 7), dt.date(2026, 4, 3)) == 0
    calendar = Calendar("Europe/Paris")
    friday_evening = at(2026, 3, 27, 16, 30)  # 17:30 in Paris, the last day of winter time
    assert calendar.add(friday_evening, days=1, working_days=True) == at(2026, 3, 30, 15, 30)
    assert calendar.add(friday_evening, days=3) == at(2026, 3, 30, 15, 30)
    assert calendar.add(at(2026, 3, 2, 8), months=2) == at(2026, 5, 2, 7)
    assert calendar.add(at(2026, 1, 31, 8), months=1) == at(2026, 2, 28, 8)


# -- helpers ----------------------------------------------------------------------------------


def submit(sessions, runtime, version, answers, clock) -> int:
    with sessions() as session, session.begin():
        return cases.submit_answers(
            session, runtime, version, dict(answers), Actor("citizen"), clock
        ).id


def fire(sessions, runtime, clock, case_id, transition, actor, values=None) -> None:
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        if actor == "citizen":
            actor = Actor("citizen", tracking_token=case.tracking_token)
        cases.fire(session, runtime, case, transition, actor, clock, values=values)


def load(sessions, case_id) -> Case:
    with sessions() as session:
        return session.get(Case, case_id)


def live_timers(sessions, case_id) -> list[tuple[str, str | None, dt.datetime]]:
    """The timers still to fire: (kind, transition or audience, due)."""
    with sessions() as session:
        return [
            (t.kind, t.transition or t.audience, t.due_at)
            for t in session.scalars(
                sa.select(Timer)
                .where(Timer.case_id == case_id, Timer.status.in_(("pending", "running")))
                .order_by(Timer.due_at, Timer.id)
            )
        ]


def notifications(sessions, case_id, audience) -> list[Notification]:
    with sessions() as session:
        return list(
            session.scalars(
                sa.select(Notification)
                .where(Notification.case_id == case_id, Notification.audience == audience)
                .order_by(Notification.id)
            )
        )


def transitions(sessions, case_id) -> list[tuple[str, str]]:
    with sessions() as session:
        return [
            (e.transition, e.actor_kind)
            for e in session.scalars(
                sa.select(CaseEvent)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
                .order_by(CaseEvent.id)
            )
        ]


@pytest.fixture
def worker(runtime, sessions, clock):
    return Worker(runtime, sessions, RecordingConnector(), clock=clock)


def run_timers(worker) -> int:
    done = 0
    while count := worker.run_timers():
        done += count
    return done


# -- deadlines --------------------------------------------------------------------------------


def test_a_deadline_fires_when_due_and_not_before(sessions, runtime, published, clock, worker):
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Votre pièce d'identité est illisible."},
    )
    due = at(2026, 4, 1, 7)  # 30 days later, 9:00 in Paris (summer time by then)
    assert live_timers(sessions, case_id) == [("fire", "classer_sans_reponse", due)]

    clock.set(due - dt.timedelta(seconds=1))
    assert run_timers(worker) == 0
    assert load(sessions, case_id).state == "attente_usager"

    clock.set(due)
    assert run_timers(worker) == 1
    case = load(sessions, case_id)
    assert (case.state, case.closed_at) == ("classee", due)
    assert transitions(sessions, case_id)[-1] == ("classer_sans_reponse", "timer")
    assert notifications(sessions, case_id, "citizen")[-1].subject == (
        "Demande AN-2026-000001 classée sans suite"
    )
    assert live_timers(sessions, case_id) == []
    with sessions() as session:
        assert session.scalars(sa.select(Timer.status).where(Timer.kind == "fire")).all() == [
            "done"
        ]


def test_a_deadline_does_not_fire_once_the_case_left_its_state(
    sessions, runtime, published, clock, worker
):
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Précisez les noms de vos parents."},
    )
    first_due = at(2026, 4, 1, 7)
    clock.set(first_due - dt.timedelta(days=1))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "apporter_precisions",
        "citizen",
        {"reponse": "Jean Martin et Sophie Durand."},
    )
    clock.set(first_due)
    assert run_timers(worker) == 0
    assert load(sessions, case_id).state == "en_traitement"

    # asked again: a new deadline, 30 days from the new request
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Et leurs dates de naissance ?"},
    )
    second_due = first_due + dt.timedelta(days=30)
    assert live_timers(sessions, case_id) == [("fire", "classer_sans_reponse", second_due)]
    clock.set(second_due - dt.timedelta(minutes=1))
    assert run_timers(worker) == 0
    assert load(sessions, case_id).state == "attente_usager"
    clock.set(second_due)
    assert run_timers(worker) == 1
    assert load(sessions, case_id).state == "classee"


def claim_due_timers(sessions, now) -> list[int]:
    """A worker claims the due timers, then dies before firing them."""
    with sessions() as session, session.begin():
        return [
            t.id
            for t in outbox.claim(
                session,
                Timer,
                due_column=Timer.due_at,
                now=now,
                limit=50,
                lease=dt.timedelta(minutes=2),
            )
        ]


def test_a_claimed_deadline_does_not_fire_after_its_case_left_the_state(
    sessions, runtime, published, clock, worker
):
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Précisez."},
    )
    clock.set(at(2026, 4, 1, 7))
    assert len(claim_due_timers(sessions, clock.now())) == 1
    clock.advance(dt.timedelta(seconds=10))  # the citizen answers just in time
    fire(sessions, runtime, clock, case_id, "apporter_precisions", "citizen", {"reponse": "Voici."})
    clock.advance(dt.timedelta(minutes=5))  # the lease ran out: another worker takes the timer
    run_timers(worker)
    assert load(sessions, case_id).state == "en_traitement"
    assert transitions(sessions, case_id)[-1] == ("apporter_precisions", "citizen")
    assert live_timers(sessions, case_id) == []


def test_a_claimed_deadline_does_not_fire_early_when_its_state_is_entered_again(
    sessions, runtime, published, clock, worker
):
    """The worker holding the 30-day deadline dies; meanwhile the citizen answers and the agent
    asks again: the new request has 30 days of its own, the old deadline must not cut them."""
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Précisez."},
    )
    clock.set(at(2026, 4, 1, 7))
    assert len(claim_due_timers(sessions, clock.now())) == 1
    clock.advance(dt.timedelta(seconds=10))
    fire(sessions, runtime, clock, case_id, "apporter_precisions", "citizen", {"reponse": "Voici."})
    clock.advance(dt.timedelta(seconds=10))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_precisions",
        CIVIL_REGISTRY,
        {"message": "Une précision encore."},
    )
    asked_again = clock.now()
    clock.advance(dt.timedelta(minutes=5))  # the dead worker's lease ran out
    run_timers(worker)
    case = load(sessions, case_id)
    assert case.state == "attente_usager", (
        "the deadline of the first request fired on the second one, "
        f"{clock.now() - asked_again} after it was made"
    )
    assert ("fire", "classer_sans_reponse", asked_again + dt.timedelta(days=30)) in live_timers(
        sessions, case_id
    )


def test_a_reminder_notifies_the_agents_and_changes_nothing_else(
    sessions, runtime, published, clock, worker
):
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    due = clock.now() + dt.timedelta(days=10)
    assert live_timers(sessions, case_id) == [("remind", "agents", due)]
    clock.set(due - dt.timedelta(seconds=1))
    assert run_timers(worker) == 0
    assert notifications(sessions, case_id, "agents") == []
    clock.set(due)
    assert run_timers(worker) == 1
    (reminder,) = notifications(sessions, case_id, "agents")
    assert reminder.department == "etat-civil"
    assert reminder.subject == "Rappel : AN-2026-000001"
    assert "depuis le 2 mars 2026" in reminder.body
    with sessions() as session:
        mail = session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.case_id == case_id, OutboxMessage.audience == "agents"
            )
        ).one()
        assert (mail.kind, mail.connector) == ("notify", "mail")
        assert mail.payload["to"] == ["etat-civil@valbois-sur-loire.fr"]
        assert mail.payload["subject"] == "Rappel : AN-2026-000001"
    case = load(sessions, case_id)
    assert case.state == "recue" and transitions(sessions, case_id) == []
    assert live_timers(sessions, case_id) == []


def test_no_reminder_for_a_case_already_decided(sessions, runtime, published, clock, worker):
    case_id = submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    fire(sessions, runtime, clock, case_id, "delivrer", CIVIL_REGISTRY)
    clock.advance(dt.timedelta(days=30))
    assert run_timers(worker) == 0
    assert notifications(sessions, case_id, "agents") == []


# -- the legal clock: two months, restarting after a pause ------------------------------------


def test_the_two_month_clock_pauses_then_restarts(sessions, runtime, published, clock, worker):
    start = clock.now()  # Monday 2 March 2026, 9:00 in Paris
    case_id = submit(
        sessions,
        runtime,
        published["occupation-domaine-public"],
        terrace_answers(start.date()),
        clock,
    )
    case = load(sessions, case_id)
    expiry = at(2026, 5, 2, 7)  # two months later, 9:00 in Paris (summer time)
    assert (case.clock_started_at, case.clock_expires_at) == (start, expiry)
    assert live_timers(sessions, case_id) == [
        ("remind", "agents", at(2026, 3, 16, 8)),  # 10 working days
        ("clock_alert", "agents", at(2026, 4, 22, 7)),  # 10 days before expiry
        ("clock_expiry", "rejet_implicite", expiry),
    ]

    # day 40: the file is incomplete, the clock stops with 21 days left
    clock.set(at(2026, 4, 11, 8))
    assert run_timers(worker) == 1  # the reminder
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_complements",
        PUBLIC_DOMAIN,
        {"complements_attendus": "Plan coté indiquant la largeur du trottoir."},
    )
    case = load(sessions, case_id)
    assert case.state == "attente_complements"
    assert case.clock_expires_at is None
    assert case.clock_paused_at == clock.now()
    assert case.clock_remaining_days == 21
    assert live_timers(sessions, case_id) == [
        ("fire", "classer_dossier_incomplet", at(2026, 6, 10, 8))
    ]

    # 45 days later (past the first expiry): nothing fires while paused
    clock.set(at(2026, 5, 26, 8))
    assert run_timers(worker) == 0
    assert load(sessions, case_id).state == "attente_complements"
    assert notifications(sessions, case_id, "agents")[-1].subject.startswith("Rappel")

    # the documents arrive: the clock restarts for two full months
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "transmettre_complements",
        "citizen",
        {"pieces_jointes": ["att-plan-cote"]},
    )
    case = load(sessions, case_id)
    expiry = at(2026, 7, 26, 8)
    assert case.state == "en_instruction"
    assert (case.clock_expires_at, case.clock_paused_at, case.clock_remaining_days) == (
        expiry,
        None,
        None,
    )
    assert live_timers(sessions, case_id) == [
        ("clock_alert", "agents", at(2026, 7, 16, 8)),
        ("clock_expiry", "rejet_implicite", expiry),
    ]

    clock.set(at(2026, 7, 16, 8) - dt.timedelta(seconds=1))
    assert run_timers(worker) == 0
    clock.set(at(2026, 7, 16, 8))
    assert run_timers(worker) == 1
    alert = notifications(sessions, case_id, "agents")[-1]
    assert alert.department == "domaine-public"
    assert alert.subject == "ODP-2026-000001: le délai légal expire le 26 juillet 2026"
    assert load(sessions, case_id).state == "en_instruction"

    clock.set(expiry - dt.timedelta(seconds=1))
    assert run_timers(worker) == 0
    clock.set(expiry)
    assert run_timers(worker) == 1
    case = load(sessions, case_id)
    assert (case.state, case.closed_at) == ("rejetee_implicitement", expiry)
    assert transitions(sessions, case_id)[-1] == ("rejet_implicite", "timer")
    assert notifications(sessions, case_id, "citizen")[-1].subject.endswith(
        "décision implicite de rejet"
    )
    assert live_timers(sessions, case_id) == []


def test_a_decision_stops_the_clock(sessions, runtime, published, clock, worker):
    case_id = submit(
        sessions,
        runtime,
        published["occupation-domaine-public"],
        terrace_answers(clock.now().date()),
        clock,
    )
    fire(sessions, runtime, clock, case_id, "prendre_en_charge", PUBLIC_DOMAIN)
    clock.advance(dt.timedelta(days=20))
    fire(sessions, runtime, clock, case_id, "accorder", PUBLIC_DOMAIN, {"surface_accordee": 20})
    assert load(sessions, case_id).state == "accordee"
    assert live_timers(sessions, case_id) == []
    clock.advance(dt.timedelta(days=365))
    assert run_timers(worker) == 0
    case = load(sessions, case_id)
    assert case.state == "accordee"
    assert [n.subject for n in notifications(sessions, case_id, "agents")] == []


def test_a_claimed_clock_alert_says_nothing_once_the_clock_is_paused(
    sessions, runtime, published, clock, worker
):
    case_id = submit(
        sessions,
        runtime,
        published["occupation-domaine-public"],
        terrace_answers(clock.now().date()),
        clock,
    )
    clock.set(at(2026, 4, 1, 7))
    assert run_timers(worker) == 1  # the 10-working-day reminder
    clock.set(at(2026, 4, 22, 7))
    assert len(claim_due_timers(sessions, clock.now())) == 1  # the alert; its worker dies
    clock.advance(dt.timedelta(seconds=30))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_complements",
        PUBLIC_DOMAIN,
        {"complements_attendus": "Attestation d'assurance."},
    )
    paused = clock.now()
    clock.advance(dt.timedelta(minutes=5))
    run_timers(worker)
    assert [n.subject for n in notifications(sessions, case_id, "agents")] == [
        "Rappel : ODP-2026-000001"
    ], "no alert about a clock that is paused"
    assert live_timers(sessions, case_id) == [
        ("fire", "classer_dossier_incomplet", paused + dt.timedelta(days=60))
    ]


# -- the legal clock: 30 working days, continuing after a pause (the shared workflow) ---------


def test_the_working_day_clock_pauses_then_continues(sessions, runtime, published, clock, worker):
    start = clock.now()
    case_id = submit(
        sessions, runtime, published["aide-velo-electrique"], bike_answers(start.date()), clock
    )
    case = load(sessions, case_id)
    expiry = at(2026, 4, 14, 7)  # 30 working days, Easter Monday skipped
    assert (case.department, case.clock_started_at, case.clock_expires_at) == (
        "transition-ecologique",
        start,
        expiry,
    )
    assert ("clock_alert", "agents", at(2026, 4, 7, 7)) in live_timers(sessions, case_id)

    # after 10 working days, documents are missing: 20 working days are left
    clock.set(at(2026, 3, 16, 8))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_pieces",
        ECOLOGY,
        {"pieces_attendues": "La facture nominative."},
    )
    case = load(sessions, case_id)
    assert (case.state, case.clock_expires_at, case.clock_remaining_days) == (
        "attente_pieces",
        None,
        20,
    )
    assert [kind for kind, *_ in live_timers(sessions, case_id)] == ["fire"]

    # the documents arrive on Wednesday 1 April: the clock goes on with its 20 days
    clock.set(at(2026, 4, 1, 7))
    assert run_timers(worker) == 0  # the first expiry, 14 April, was withdrawn anyway
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "transmettre_pieces",
        "citizen",
        {"pieces_complementaires": ["att-facture-nominative"]},
    )
    case = load(sessions, case_id)
    expiry = at(2026, 4, 30, 7)  # 20 working days after 1 April (not 30: 19 May)
    assert (case.state, case.clock_expires_at, case.clock_paused_at, case.clock_remaining_days) == (
        "en_instruction",
        expiry,
        None,
        None,
    )
    alert = at(2026, 4, 23, 7)  # 5 working days before
    assert live_timers(sessions, case_id) == [
        ("clock_alert", "agents", alert),
        ("clock_expiry", "depasser_delai", expiry),
    ]

    clock.set(at(2026, 4, 14, 7))
    assert run_timers(worker) == 0
    clock.set(alert)
    assert run_timers(worker) == 1
    assert notifications(sessions, case_id, "agents")[-1].subject == (
        "VAE-2026-000001: le délai légal expire le 30 avril 2026"
    )
    clock.set(expiry)
    assert run_timers(worker) == 1
    case = load(sessions, case_id)
    assert (case.state, case.department, case.closed_at) == (
        "hors_delai",
        "transition-ecologique",
        None,
    )
    assert transitions(sessions, case_id)[-1] == ("depasser_delai", "timer")
    assert notifications(sessions, case_id, "agents")[-1].subject == (
        "Demande d'aide VAE-2026-000001 : délai de 30 jours ouvrés dépassé"
    )
    assert live_timers(sessions, case_id) == []

    # the head of department takes it back, then refuses: nothing is left to fire
    fire(sessions, runtime, clock, case_id, "reprendre_instruction", ECOLOGY_HEAD)
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "refuser",
        ECOLOGY_HEAD,
        {"motif_refus": "Vélo acheté d'occasion."},
    )
    assert load(sessions, case_id).state == "refusee"
    assert live_timers(sessions, case_id) == []
    clock.advance(dt.timedelta(days=400))
    assert run_timers(worker) == 0


def test_a_final_state_stops_the_working_day_clock(sessions, runtime, published, clock, worker):
    case_id = submit(
        sessions,
        runtime,
        published["aide-velo-electrique"],
        bike_answers(clock.now().date()),
        clock,
    )
    fire(sessions, runtime, clock, case_id, "prendre_en_charge", ECOLOGY)
    assert {kind for kind, *_ in live_timers(sessions, case_id)} == {"clock_alert", "clock_expiry"}
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "refuser",
        ECOLOGY_HEAD,
        {"motif_refus": "Hors de la commune."},
    )
    assert live_timers(sessions, case_id) == []
    clock.advance(dt.timedelta(days=90))
    assert run_timers(worker) == 0
    assert load(sessions, case_id).state == "refusee"


def test_an_expired_clock_is_not_armed_again_by_a_pause(
    sessions, runtime, published, clock, worker
):
    """Once the 30 working days have run out and the head of department resumed the file, a
    request for documents and their arrival must not make the expired clock fire again."""
    case_id = submit(
        sessions,
        runtime,
        published["aide-velo-electrique"],
        bike_answers(clock.now().date()),
        clock,
    )
    clock.set(at(2026, 4, 14, 7))
    run_timers(worker)
    assert load(sessions, case_id).state == "hors_delai"
    fire(sessions, runtime, clock, case_id, "reprendre_instruction", ECOLOGY_HEAD)
    clock.advance(dt.timedelta(days=1))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "demander_pieces",
        ECOLOGY,
        {"pieces_attendues": "Le RIB."},
    )
    clock.advance(dt.timedelta(days=2))
    fire(
        sessions,
        runtime,
        clock,
        case_id,
        "transmettre_pieces",
        "citizen",
        {"pieces_complementaires": ["att-rib"]},
    )
    clock.advance(dt.timedelta(minutes=1))
    run_timers(worker)
    assert load(sessions, case_id).state == "en_instruction"
    assert [t for t, _ in transitions(sessions, case_id)].count("depasser_delai") == 1
