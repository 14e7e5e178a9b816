"""Migration plans move running cases to a newer version: dry run, refusal, application;
on SQLite and PostgreSQL (the ``db_engine`` fixture)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import cases, migration_plans
from engine.catalogue import publish
from engine.errors import Conflict, Refused
from engine.models import AuditEvent, Case, CaseEvent, Timer
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS
from ..migration_world import PLAN, version_2

CITIZEN = Actor("citizen", None)
AGENT = Actor("agent", None, frozenset({"etat-civil"}))
ADMIN = Actor("administrator", None)
@pytest.fixture
def world(sessions, runtime, published, clock):
    """Two running cases of v1 (one received, one in progress), a closed one, and v2."""
    ids = []
    with sessions() as session, session.begin():
        for _ in range(3):
            case = cases.submit_answers(
                session, runtime, published["acte-naissance"], dict(BIRTH_ANSWERS), CITIZEN, clock
            )
            ids.append(case.id)
        session.flush()
        session.get(Case, ids[1]).state = "en_traitement"  # as after the citizen's answer
        cases.fire(session, runtime, session.get(Case, ids[2]), "delivrer", AGENT, clock)
        publish(session, runtime, version_2(), clock=clock)
    return ids


def read(session, runtime, source):
    return migration_plans.read_plan(session, runtime, "acte-naissance", source)


def test_the_dry_run_says_what_each_running_case_becomes_and_writes_nothing(
    sessions, runtime, clock, world
):
    with sessions() as session:
        plan, problems = read(session, runtime, PLAN)
        assert problems == []
        run = migration_plans.dry_run(session, runtime, plan, clock)
        assert [o.case.id for o in run.outcomes] == world[:2]  # the closed case stays
        assert [(o.case.state, o.new_state) for o in run.outcomes] == [
            ("recue", "recue"),
            ("en_traitement", "instruction"),
        ]
        first = run.outcomes[0]
        assert first.refusals == [] and first.renamed == {"nom": "nom_naissance"}
        assert first.defaulted == ["consentement"]
        assert first.answers["nom_naissance"] == "Martin" and "nom" not in first.answers
        session.rollback()
    with sessions() as session:
        assert {c.version.version for c in session.scalars(sa.select(Case))} == {1}


def test_a_plan_that_would_break_cases_is_refused_and_changes_nothing(
    sessions, runtime, clock, world
):
    unmapped = PLAN.replace("  en_traitement: instruction\n", "")
    no_default = PLAN.replace("defaults:\n  consentement: true\n", "")
    refused_value = PLAN.replace("consentement: true", "consentement: peut-être")
    with sessions() as session:
        for source, code, field in (
            (unmapped, "unmapped_state", None),
            (no_default, "refused_answer", "consentement"),
            (refused_value, "refused_answer", "consentement"),
        ):
            plan, problems = read(session, runtime, source)
            assert problems == []
            run = migration_plans.dry_run(session, runtime, plan, clock)
            assert run.refused, source
            codes = [(c, v.get("field")) for o in run.refused for c, v in o.refusals]
            assert (code, field) in codes
            with pytest.raises(Refused):
                migration_plans.apply(session, runtime, plan, run.digest, ADMIN, clock)
            session.rollback()
        # a plan naming what the versions lack is refused before any case is looked at
        wrong = PLAN.replace("en_traitement: instruction", "en_traitement: perdu")
        plan, problems = read(session, runtime, wrong + "extra: 1\n")
        assert plan is None
        assert {p.code for p in problems} == {"unknown_key"}
        plan, problems = read(session, runtime, wrong)
        assert [(p.code, p.values["state"], p.line) for p in problems] == [
            ("new_state", "perdu", 5)
        ]
        for bad in (
            "from: [\n",
            "- 1\n",
            "from: 1\nto: 1\n",
            "from: 9\nto: 2\n",
            "states: 3\nfrom: 1\nto: 2\n",
            "from: 99999999999999999999\nto: 2\n",
            PLAN.replace("consentement: true", "consentement: .inf"),
        ):
            plan, problems = read(session, runtime, bad)
            assert plan is None and problems, bad
    with sessions() as session:
        assert {c.version.version for c in session.scalars(sa.select(Case))} == {1}
        assert session.scalar(sa.select(sa.func.count()).where(CaseEvent.kind == "migrated")) == 0


def test_applying_a_plan_moves_every_running_case_in_one_transaction(
    sessions, runtime, clock, world
):
    with sessions() as session, session.begin():
        plan, _ = read(session, runtime, PLAN)
        run = migration_plans.dry_run(session, runtime, plan, clock)
        digest = run.digest
    with sessions() as session, session.begin():
        plan, _ = read(session, runtime, PLAN)
        migration_plans.apply(session, runtime, plan, digest, ADMIN, clock)
    with sessions() as session:
        moved = [session.get(Case, i) for i in world]
        assert [c.version.version for c in moved] == [2, 2, 1]
        assert [c.state for c in moved[:2]] == ["recue", "instruction"]
        assert moved[0].answers["nom_naissance"] == "Martin"
        assert moved[0].answers["consentement"] is True and "nom" not in moved[0].answers
        events = list(session.scalars(sa.select(CaseEvent).where(CaseEvent.kind == "migrated")))
        assert sorted(e.case_id for e in events) == world[:2]
        second = next(e for e in events if e.case_id == world[1])
        assert (second.from_state, second.to_state) == ("en_traitement", "instruction")
        assert second.values["from_version"] == 1 and second.values["to_version"] == 2
        audited = session.scalars(
            sa.select(AuditEvent.case_id).where(AuditEvent.action == "case.migrate")
        )
        assert sorted(audited) == world[:2]
        # the moved cases go on in the new version's workflow
        cases.fire(session, runtime, moved[1], "delivrer", AGENT, clock)
        assert moved[1].state == "delivree"
        pending = session.scalars(
            sa.select(Timer.state).where(Timer.case_id == world[0], Timer.status == "pending")
        )
        assert set(pending) <= {"recue"}
        session.rollback()
    # nothing left to move: a second run finds no case
    with sessions() as session:
        plan, _ = read(session, runtime, PLAN)
        assert migration_plans.dry_run(session, runtime, plan, clock).outcomes == []


def test_a_stale_dry_run_is_refused(sessions, runtime, clock, world):
    with sessions() as session:
        plan, _ = read(session, runtime, PLAN)
        digest = migration_plans.dry_run(session, runtime, plan, clock).digest
    with sessions() as session, session.begin():  # a version 3 is published meanwhile
        publish(session, runtime, version_2().replace("version: 2", "version: 3", 1), clock=clock)
    with sessions() as session:
        plan, _ = read(session, runtime, PLAN)
        with pytest.raises(Conflict):
            migration_plans.apply(session, runtime, plan, digest, ADMIN, clock)
        session.rollback()
        assert session.get(Case, world[0]).version.version == 1
