"""``guichet test``: the examples' scenarios pass, and a wrong expectation is reported."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from click.testing import CliRunner

from definitions.folders import check_paths
from engine.procedure_tests import run_paths
from factory.cli import main

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

SITE = EXAMPLES / "guichet.yaml"
LINE = re.compile(r"^(?P<status>PASS|FAIL) acte-naissance: (?P<name>.+?)(?: — (?P<message>.*))?$")


def guichet_test(*paths):
    return CliRunner().invoke(main, ["test", *map(str, paths), "--site", str(SITE)])


def scenario_count(*paths) -> int:
    checked = check_paths(paths, SITE, environ=EXAMPLE_ENVIRON)
    assert [str(p) for p in checked.problems] == []
    return sum(len(suite.scenarios) for suite in checked.suites.values())


def test_every_example_scenario_passes(example_environ):
    result = guichet_test(EXAMPLES)
    lines = result.output.splitlines()
    count = scenario_count(EXAMPLES)
    assert count >= 30
    assert lines[-1] == f"{count} passed, 0 failed", result.output
    assert result.exit_code == 0
    assert len(lines) == count + 1
    assert all(line.startswith("PASS ") for line in lines[:-1]), result.output
    names = {line.split(":", 1)[0].removeprefix("PASS ") for line in lines[:-1]}
    assert {
        "acte-naissance",
        "occupation-domaine-public",
        "aide-velo-electrique",
        "subvention-association",
    } <= names


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2026, 12, 24, 8, tzinfo=dt.UTC),  # Christmas Eve, before a long week-end
        dt.datetime(2026, 4, 3, 8, tzinfo=dt.UTC),  # the Friday before Easter Monday
    ],
)
def test_the_examples_pass_whatever_the_day_they_start(example_environ, start):
    problems, results = run_paths(
        [
            EXAMPLES / "acte-naissance.yaml",
            EXAMPLES / "occupation-domaine-public.yaml",
            EXAMPLES / "aide-velo-electrique.yaml",
        ],
        SITE,
        start=start,
    )
    assert problems == []
    assert len(results) == scenario_count(
        EXAMPLES / "acte-naissance.yaml",
        EXAMPLES / "occupation-domaine-public.yaml",
        EXAMPLES / "aide-velo-electrique.yaml",
    )
    assert [r.line() for r in results if not r.passed] == []


BROKEN_SCENARIOS = """
scenarios:
  - name: délivrance correcte
    steps:
      - fire: delivrer
        as: agent
    expect: {state: delivree, sent: [logiciel-etat-civil], notified: [citizen]}

  - name: mauvais état attendu
    steps:
      - fire: delivrer
        as: agent
    expect: {state: refusee}

  - name: mauvais envoi attendu
    steps:
      - fire: delivrer
        as: agent
    expect: {sent: []}

  - name: mauvaise notification attendue
    steps:
      - fire: refuser
        as: agent
        with: {motif_refus: Acte introuvable.}
    expect: {notified: [citizen, agents]}

  - name: refus attendu qui n'arrive pas
    steps:
      - fire: delivrer
        as: agent
        expect_refused: true
    expect: {state: delivree}

  - name: refus inattendu
    steps:
      - fire: delivrer
        as: citizen
    expect: {state: delivree}

  - name: attente d'une étape vérifiée trop tôt
    steps:
      - fire: demander_precisions
        as: agent
        with: {message: Précisez.}
        expect: {state: classee}
      - wait: 31 days

  - name: délai pas encore échu
    steps:
      - fire: demander_precisions
        as: agent
        with: {message: Précisez.}
      - wait: 29 days
    expect: {state: classee}

  - name: erreurs attendues qui n'arrivent pas
    expect_errors: [nom]

  - name: d'autres erreurs que celles attendues
    answers: {lien: tiers, courriel: pas-une-adresse}
    expect_errors: [courriel]
"""


@pytest.fixture
def broken_suite(tmp_path):
    """acte-naissance, with a tests file whose expectations are wrong (but for one)."""
    shutil.copy(EXAMPLES / "acte-naissance.yaml", tmp_path / "acte-naissance.yaml")
    shared = (EXAMPLES / "acte-naissance.tests.yaml").read_text("utf-8").split("\nscenarios:")[0]
    (tmp_path / "acte-naissance.tests.yaml").write_text(shared + BROKEN_SCENARIOS, "utf-8")
    return tmp_path


def test_wrong_expectations_are_reported_and_fail_the_run(example_environ, broken_suite):
    result = guichet_test(broken_suite)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "1 passed, 9 failed"
    parsed = [LINE.match(line) for line in lines[:-1]]
    assert all(parsed), result.output
    statuses = {m["name"]: m["status"] for m in parsed}
    report = {m["name"]: m["message"] or "" for m in parsed}
    assert statuses == {
        name: "PASS" if name == "délivrance correcte" else "FAIL" for name in report
    }
    assert len(statuses) == 10
    assert report["délivrance correcte"] == ""
    assert report["mauvais état attendu"] == ("at the end: state is 'delivree', expected 'refusee'")
    assert report["mauvais envoi attendu"] == (
        "at the end: sent to ['logiciel-etat-civil'], expected nothing"
    )
    assert report["mauvaise notification attendue"] == (
        "at the end: notified ['citizen'], expected ['agents', 'citizen'] (missing agents)"
    )
    assert report["refus attendu qui n'arrive pas"] == (
        "step 1: 'delivrer' should have been refused"
    )
    assert report["refus inattendu"].startswith("step 1: 'delivrer' was refused (actor)")
    assert report["attente d'une étape vérifiée trop tôt"] == (
        "after step 1: state is 'attente_usager', expected 'classee'"
    )
    assert report["délai pas encore échu"] == (
        "at the end: state is 'attente_usager', expected 'classee'"
    )
    assert report["erreurs attendues qui n'arrivent pas"] == (
        "expected errors on ['nom'], but the answers were accepted"
    )
    assert report["d'autres erreurs que celles attendues"] == (
        "expected errors on ['courriel'], got ['courriel', 'nom_titulaire', 'prenoms_titulaire']"
    )


def test_run_paths_reports_each_scenario(example_environ, broken_suite):
    problems, results = run_paths([broken_suite], SITE)
    assert problems == []
    assert [(r.procedure, r.passed) for r in results][:3] == [
        ("acte-naissance", True),
        ("acte-naissance", False),
        ("acte-naissance", False),
    ]
    assert sum(r.passed for r in results) == 1 and len(results) == 10
    failed = results[1]
    assert failed.line() == (
        "FAIL acte-naissance: mauvais état attendu — at the end: "
        "state is 'delivree', expected 'refusee'"
    )


def test_a_tests_file_that_does_not_check_does_not_run(example_environ, tmp_path):
    shutil.copy(EXAMPLES / "acte-naissance.yaml", tmp_path / "acte-naissance.yaml")
    shared = (EXAMPLES / "acte-naissance.tests.yaml").read_text("utf-8").split("\nscenarios:")[0]
    (tmp_path / "acte-naissance.tests.yaml").write_text(
        shared
        + """
scenarios:
  - name: une transition qui n'existe pas
    steps:
      - fire: delivre
        as: agent
""",
        "utf-8",
    )
    result = guichet_test(tmp_path)
    assert result.exit_code == 1
    assert "delivre" in result.output
    assert "the tests did not run" in result.output
    assert "passed" not in result.output


def test_null_means_not_answered_in_a_scenario(example_environ, tmp_path):
    shutil.copy(EXAMPLES / "signalement-voirie.yaml", tmp_path / "signalement-voirie.yaml")
    shared = (EXAMPLES / "signalement-voirie.tests.yaml").read_text("utf-8")
    shared = shared.split("\nscenarios:")[0]
    (tmp_path / "signalement-voirie.tests.yaml").write_text(
        shared
        + """
scenarios:
  - name: sans courriel, le signalement est reçu
    answers: {courriel: null}
    expect: {state: recu, notified: [agents]}
  - name: une nature laissée vide est une erreur sur la nature
    answers: {nature: null}
    expect_errors: [nature]
""",
        "utf-8",
    )
    result = guichet_test(tmp_path)
    assert result.output.splitlines()[-1] == "2 passed, 0 failed", result.output
    assert result.exit_code == 0


def test_null_means_not_answered_when_the_engine_submits(sessions, runtime, published, clock):
    from engine import cases
    from engine.errors import InvalidValues
    from engine.workflow import Actor

    from ..engine_helpers import BIRTH_ANSWERS

    citizen = Actor("citizen")
    with sessions() as session, session.begin():
        version = published["acte-naissance"]
        case = cases.new_draft(session, runtime, version, citizen, clock)
        cases.save_answers(session, case, {**BIRTH_ANSWERS, "telephone": "0611223344"})
        cases.save_answers(session, case, {"telephone": None})  # cleared by the citizen
        assert "telephone" not in case.answers
        cases.submit(session, runtime, case, citizen, clock)
        assert case.reference and "telephone" not in case.answers
        submitted = cases.submit_answers(
            session, runtime, version, {**BIRTH_ANSWERS, "telephone": None}, citizen, clock
        )
        assert submitted.reference and "telephone" not in submitted.answers
    with sessions() as session, session.begin(), pytest.raises(InvalidValues) as refused:
        cases.submit_answers(
            session, runtime, version, {**BIRTH_ANSWERS, "courriel": None}, citizen, clock
        )
    assert [(e.field, e.keyword) for e in refused.value.errors] == [("courriel", "required")]
