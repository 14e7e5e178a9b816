"""The example procedures: checked, complete, and their test answers valid."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from definitions.answers import validate_answers
from definitions.fieldtypes import TYPES
from definitions.folders import check_paths
from definitions.scenarios import resolve_dates
from factory.cli import main

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def catalogue():
    from .conftest import EXAMPLE_ENVIRON

    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    assert [str(p) for p in result.problems] == []
    return result


def test_guichet_check_passes_on_the_examples(example_environ):
    result = CliRunner().invoke(
        main, ["check", str(EXAMPLES), "--site", str(EXAMPLES / "guichet.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "no problem found" in result.output


def test_at_least_six_procedures_each_with_tests(catalogue):
    assert len(catalogue.procedures) >= 6
    for procedure in catalogue.procedures:
        suite = catalogue.suites.get((procedure.slug, procedure.version))
        assert suite is not None and len(suite.scenarios) >= 3, procedure.slug


def all_fields(procedure):
    for field in procedure.form.fields:
        yield field
        yield from field.fields
    for transition in procedure.workflow.transitions:
        yield from transition.form


def test_every_field_type_is_used(catalogue):
    used = {f.type for p in catalogue.procedures for f in all_fields(p)}
    assert used == set(TYPES)


def test_every_workflow_feature_is_used(catalogue):
    procedures = catalogue.procedures
    workflows = [p.workflow for p in procedures]
    states = [s for w in workflows for s in w.states]
    transitions = [t for w in workflows for t in w.transitions]
    actions = [a for s in states for a in s.on_enter] + [a for t in transitions for a in t.on_fire]
    features = {
        "routing rule": any(type(s.department).__name__ == "RoutingRule" for s in states),
        "reusable workflow": sum(1 for w in workflows if w.name) >= 2,
        "clock with pause": any(w.clock and w.clock.pauses_in for w in workflows),
        "clock continue": any(w.clock and w.clock.on_resume == "continue" for w in workflows),
        "clock restart": any(w.clock and w.clock.on_resume == "restart" for w in workflows),
        "deadline that fires": any(d.fire for s in states for d in s.deadlines),
        "deadline that reminds": any(d.remind for s in states for d in s.deadlines),
        "working days": any(d.working_days for s in states for d in s.deadlines),
        "guard": any(t.guard for t in transitions),
        "transition form": any(t.form for t in transitions),
        "citizen transition": any(t.actor == "citizen" for t in transitions),
        "supervisor": any(t.actor == "supervisor" for t in transitions),
        "other department": any(t.actor == "department" for t in transitions),
        "notify citizen": any(a.kind == "notify" and a.target == "citizen" for a in actions),
        "notify agents": any(a.kind == "notify" and a.target == "agents" for a in actions),
        "send": any(a.kind == "send" for a in actions),
        "set": any(a.kind == "set" for a in actions),
        "page condition": any(page.when for p in procedures for page in p.form.pages),
        "login none": any(p.login == "none" for p in procedures),
        "login required": any(p.login == "required" for p in procedures),
    }
    assert [name for name, used in features.items() if not used] == []


def test_every_connector_type_is_used(catalogue):
    types = {c.type for c in catalogue.site.connectors.values()}
    assert {"email", "webhook", "amqp", "filedrop"} <= types


def test_shared_test_answers_are_valid(catalogue):
    """The answers every scenario starts from are accepted by the compiled schema."""
    today = dt.date.today()
    for procedure in catalogue.procedures:
        suite = catalogue.suites[(procedure.slug, procedure.version)]
        for scenario in suite.scenarios:
            if scenario.expect_errors:
                continue
            answers = resolve_dates(dict(scenario.answers), today)
            _, found = validate_answers(procedure, answers, today=today)
            assert found == [], (procedure.slug, scenario.name, found)
