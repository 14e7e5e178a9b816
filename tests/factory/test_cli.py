"""The guichet command line: check, graph, schema."""

from __future__ import annotations

import json

from click.testing import CliRunner
from jsonschema import Draft202012Validator

from definitions import schemas
from factory.cli import main

from ..conftest import FIXTURES

VALID = FIXTURES / "valid" / "birth-certificate.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_reports_every_problem_and_exits_1(tmp_path):
    broken = (
        VALID.read_text("utf-8")
        .replace(
            "required: true\n          autocomplete", "requird: true\n          autocomplete", 1
        )
        .replace("to: in_review\n      by: agent", "to: in_reveiw\n      by: agent", 1)
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken, "utf-8")
    result = run("check", path)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    problems = [line for line in lines if ": warning: " not in line]  # the lint's, after
    # all problems at once: the structural one does not hide the workflow's wrong target
    wrong_target = (
        f"{path}:105:11: the transition 'take' goes to 'in_reveiw', which is not a state; "
        "did you mean 'in_review'?"
    )
    assert problems == [
        f"{path}:22:11: unknown key 'requird' in a text field; did you mean 'required'?",
        wrong_target,
    ]
    assert lines[: len(problems)] == problems
    fixed = broken.replace("requird:", "required:")
    path.write_text(fixed, "utf-8")
    result = run("check", path)
    assert result.exit_code == 1
    assert [line for line in result.stdout.splitlines() if ": warning: " not in line] == [
        wrong_target
    ]


def test_check_passes_a_valid_file_and_its_tests():
    result = run("check", VALID)
    assert result.exit_code == 0, result.output


def test_check_missing_path():
    result = run("check", "nowhere.yaml")
    assert result.exit_code == 1
    assert "nowhere.yaml:1:1: no such file or folder" in result.stdout


def test_site_secrets_are_reported_never_printed(tmp_path, monkeypatch):
    site = tmp_path / "guichet.yaml"
    site.write_text(
        "authority: Ville\ndepartments: [{id: etat-civil, name: EC}]\n"
        "connectors:\n  hook: {type: webhook, url: 'http://x', secret: env:HOOK_SECRET}\n"
    )
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    result = run("check", VALID, "--site", site)
    assert result.exit_code == 1
    assert f"{site}:4:50: the environment variable HOOK_SECRET is not set" in result.stdout
    monkeypatch.setenv("HOOK_SECRET", "very-secret-value")
    result = run("check", VALID, "--site", site)
    assert "very-secret-value" not in result.output
    # the procedure sends to 'civil-registry', which this site does not declare
    assert "the connector 'civil-registry' is not declared in the site config" in result.stdout


def test_graph_draws_states_transitions_deadlines():
    result = run("graph", VALID)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("stateDiagram-v2\n")
    assert '    state "Reçue (etat-civil)" as received' in text
    assert "    [*] --> received" in text
    assert "    received --> accepted : accept_tacitly (délai, après 15 jours)" in text
    assert "    waiting_citizen --> in_review : Envoyer le complément (usager)" in text
    assert "        Après 15 jours, déclenche « accept_tacitly »" in text
    assert "(etat-civil, l'usager agit)" in text
    english = run("graph", VALID, "--language", "en").stdout
    assert "        After 15 days, fires “accept_tacitly”" in english
    assert "    refused --> [*]" in text


def test_graph_shows_the_clock(tmp_path):
    text = (
        VALID.read_text("utf-8")
        .replace(
            "workflow:\n  initial: received\n",
            "workflow:\n  initial: received\n  clock: {months: 2, starts_in: received, "
            "pauses_in: [waiting_citizen], on_resume: restart, alert_before_days: 7, "
            "fire: accept_tacitly}\n",
        )
        .replace(
            "deadline: {days: 15, fire: accept_tacitly}", "deadline: {days: 10, remind: agents}"
        )
    )
    path = tmp_path / "clock.yaml"
    path.write_text(text, "utf-8")
    result = run("graph", path)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "received --> accepted : accept_tacitly (délai, échéance du délai légal)" in text
    assert "        Le délai légal commence ici (2 mois)" in text
    # the states by their labels, not their ids
    paused = "        suspendu dans « En attente de compléments » (repart de zéro à la reprise)"
    assert paused in text
    assert "        Après 10 jours, relance les agents" in text
    assert "        agents alertés 7 jours avant l'échéance" in text


def test_schema_command_prints_each_schema(tmp_path):
    for kind in schemas.KINDS:
        result = run("schema", kind)
        assert result.exit_code == 0
        printed = json.loads(result.stdout)
        Draft202012Validator.check_schema(printed)
        assert printed == schemas.schema(kind)
    out = tmp_path / "procedure.schema.json"
    assert run("schema", "procedure", "-o", out).exit_code == 0
    assert json.loads(out.read_text("utf-8"))["title"] == "Guichet procedure"


def test_users_create_makes_staff_of_declared_departments(tmp_path, example_environ):
    import sqlalchemy as sa

    from engine.db import make_engine
    from engine.models import Account

    from ..conftest import EXAMPLES

    url = f"sqlite:///{tmp_path / 'u.db'}"
    site = str(EXAMPLES / "guichet.yaml")
    ok = run(
        "users",
        "create",
        "agent@example.org",
        "--kind",
        "agent",
        "--department",
        "etat-civil",
        "--site",
        site,
        "--database",
        url,
        "--password",
        "un mot de passe long",
    )
    assert ok.exit_code == 0, ok.output
    bad = run(
        "users",
        "create",
        "x@example.org",
        "--kind",
        "agent",
        "--department",
        "nowhere",
        "--site",
        site,
        "--database",
        url,
        "--password",
        "un mot de passe long",
    )
    assert bad.exit_code == 2 and "not in the site config: nowhere" in bad.output
    again = run(
        "users",
        "create",
        "agent@example.org",
        "--kind",
        "agent",
        "--department",
        "etat-civil",
        "--database",
        url,
        "--password",
        "un mot de passe long",
    )
    assert again.exit_code == 1 and "already uses" in again.output
    engine = make_engine(url)
    with engine.connect() as connection:
        kinds = connection.execute(sa.select(Account.email, Account.kind)).all()
    engine.dispose()
    assert kinds == [("agent@example.org", "agent")]


def test_check_takes_workflow_files_and_tests_files():
    from ..conftest import EXAMPLES

    broken = FIXTURES / "invalid" / "workflows"
    result = run("check", broken)
    assert result.exit_code == 1
    assert "cannot be reached from the initial state" in result.stdout
    result = run("check", EXAMPLES / "workflows" / "aide-financiere.yaml")
    assert result.exit_code == 0, result.output
    tests_file = FIXTURES / "valid" / "birth-certificate.tests.yaml"
    result = run("check", tests_file)
    assert result.exit_code == 0 and "1 procedure checked" in result.output
