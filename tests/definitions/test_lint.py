"""The lint: each rule warns on its fixture, at the line and with the message the fixture
announces; the examples and a clean procedure give no warning; ``guichet check`` prints
the warnings and fails on them only with ``--strict``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from definitions.folders import check_paths
from definitions.lint import RULES, lint_paths, lint_source
from definitions.lint.words import TYPE_TOKENS, is_vague
from definitions.texts import translations
from factory.cli import main

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, FIXTURES, ROOT, expectations

LINT = FIXTURES / "lint"
SITE = FIXTURES / "site.yaml"
ENVIRON = {"FIXTURE_SECRET": "s3cret-value"}
ENGLISH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}


def found(path: Path) -> list[tuple[str, int, int, str]]:
    return [(path.name, w.line, w.column, f"{w.message} [{w.code}]") for w in lint_paths([path])]


@pytest.mark.parametrize("code", sorted(RULES))
def test_each_rule_warns_on_its_fixture_where_announced(code):
    path = LINT / f"{code.removeprefix('lint/')}.yaml"
    expected = expectations(path)
    assert expected and all(message.endswith(f"[{code}]") for *_, message in expected)
    assert found(path) == expected
    result = check_paths([path], SITE, environ=ENVIRON)
    assert result.problems == [] and len(result.procedures) == 1  # valid, only unwise


def test_a_clean_procedure_and_the_examples_give_no_warning():
    assert check_paths([LINT / "clean.yaml"], SITE, environ=ENVIRON).ok
    assert found(LINT / "clean.yaml") == []
    assert lint_paths([EXAMPLES], EXAMPLES / "guichet.yaml") == []
    assert lint_paths([ROOT / "docs" / "examples"]) == []


def test_warnings_are_translated_and_read_as_data():
    (warning,) = lint_paths([LINT / "vague-label.yaml"])
    french = warning.text(translations("fr"))
    assert french != warning.message and "Divers" in french
    assert warning.as_line(translations("fr")).split(": ")[1] == "avertissement"
    assert warning.as_dict() == {
        "severity": "warning",
        "code": "lint/vague-label",
        "line": warning.line,
        "column": warning.column,
        "message": warning.message,
    }


@pytest.mark.parametrize(
    "source",
    [
        "",
        "- a\n- b\n",
        "form: 3\n",
        "form: {pages: [{fields: {a: 1}}, 3, {title: [1]}]}\n",
        "form: {pages: [{fields: [{label: {fr: [1]}, options: [1, 2], widget: radio}]}]}\n",
        "procedure: [a\n",
        "workflow: x\ntransitions: [{form: [{label: AUTRE CHOSE ICI}]}]\n",
    ],
)
def test_any_yaml_is_linted_without_failing(source):
    warnings = lint_source(source, "any.yaml")
    assert all(w.code in RULES and w.file == "any.yaml" for w in warnings)


def test_a_reusable_workflow_form_is_linted_too():
    source = "workflow: x\ntransitions:\n  - form:\n      - {id: a, type: text, label: Autre}\n"
    assert [(w.line, w.code) for w in lint_source(source)] == [(4, "lint/vague-label")]


def test_vague_labels_are_told_from_real_questions():
    assert all(map(is_vague, ["Autre", "Champ 1", "Cliquez ici", "Divers :", "TEXTE", "Field 12"]))
    assert not any(map(is_vague, ["Autre précision", "Nom", "Texte de la demande"]))


def test_the_types_default_tokens_are_the_widgets():
    from renderers.registry import registry

    for kind, token in TYPE_TOKENS.items():
        assert registry[kind].default_autocomplete == token


def test_every_rule_is_in_the_administrators_guide():
    guide = (ROOT / "docs" / "administrators-guide.md").read_text("utf-8")
    for code in RULES:
        assert f"`{code}`" in guide, code


def test_check_prints_warnings_and_fails_on_them_only_when_strict(monkeypatch):
    for name, value in {**ENGLISH, **ENVIRON}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    path = str(LINT / "vague-label.yaml")
    runner = CliRunner()
    result = runner.invoke(main, ["check", path, "--site", str(SITE)])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if "warning" in line]
    assert line.startswith(f"{path}:18:18: warning: the label 'Divers' says nothing")
    assert line.endswith("[lint/vague-label]")
    strict = runner.invoke(main, ["check", path, "--site", str(SITE), "--strict"])
    assert strict.exit_code == 1 and line in strict.stdout
    clean = runner.invoke(
        main, ["check", str(LINT / "clean.yaml"), "--site", str(SITE), "--strict"]
    )
    assert clean.exit_code == 0 and "warning" not in clean.stdout
    for name, value in EXAMPLE_ENVIRON.items():
        monkeypatch.setenv(name, value)
    examples = runner.invoke(
        main, ["check", str(EXAMPLES), "--site", str(EXAMPLES / "guichet.yaml"), "--strict"]
    )
    assert examples.exit_code == 0, examples.output


def test_one_field_in_two_languages_is_not_two_fields():
    source = (
        "form:\n  pages:\n    - fields:\n"
        "        - {id: a, type: date, label: {fr: Date, en: Date}}\n"
        "        - {id: b, type: date, label: {fr: Échéance, en: date}}\n"
    )
    warnings = [(w.line, w.column, w.code) for w in lint_source(source)]
    assert warnings == [(5, 57, "lint/duplicate-label")]
