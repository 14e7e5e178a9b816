"""The checker's problems carry their msgid and values: English on the command line unless
the locale says otherwise, French in the console."""

from __future__ import annotations

import ast
import re

from click.testing import CliRunner

from connectors.prefill.registry import descriptions as prefill_types
from connectors.registry import settings_schemas
from definitions.errors import MAX_PROBLEMS, Problem, capped
from definitions.folders import check_paths, load_site_file
from definitions.loader import load
from definitions.texts import N_, translations
from factory.cli import main

from ..conftest import FIXTURES, ROOT

FRENCH = translations("fr")
BROKEN = "procedure: [a\n  b: c"
ENGLISH_LOCALE = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}


def test_a_problem_is_english_and_renders_in_french():
    (problem,) = load(BROKEN, "broken.yaml")[1]
    assert problem.message.startswith("invalid YAML: ")
    assert str(problem).startswith("broken.yaml:")
    french = problem.text(FRENCH)
    assert french.startswith("YAML invalide\u00a0: ")
    assert problem.as_line(FRENCH) == f"{problem.file}:{problem.line}:{problem.column}: {french}"
    assert problem.text() == problem.message  # no catalogue: English


def test_values_that_are_msgids_and_counts_are_translated_too():
    (problem,) = load("yes: 1\n", "keys.yaml")[1]
    assert problem.message == (
        "the key 'yes' is read by YAML as a boolean; put it in quotes: \"yes\""
    )
    assert "comme un booléen" in problem.text(FRENCH)
    many = capped([Problem("a.yaml", line, 1, f"p{line}") for line in range(1, 50_001)])
    rest = 50_000 - MAX_PROBLEMS
    assert many[-1].message.startswith(f"and {rest:,} more problems in this file")
    grouped = f"{rest:,}".replace(",", "\u202f")
    assert many[-1].text(FRENCH).startswith(f"et {grouped} autres problèmes dans ce fichier")


def test_problems_compare_by_place_and_english_text_only():
    plain = Problem("a.yaml", 1, 1, "no such file or folder")
    made = Problem.of("a.yaml", 1, 1, N_("no such file or folder"))
    assert plain == made and len({plain, made}) == 1
    assert made.text(FRENCH) == "aucun fichier ni dossier de ce nom"


def test_the_command_line_is_english_unless_the_locale_says_otherwise(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    english = CliRunner().invoke(main, ["check", str(broken)], env=ENGLISH_LOCALE)
    assert english.exit_code == 1
    assert f"{broken}:2:" in english.output and "invalid YAML: " in english.output
    french = CliRunner().invoke(
        main, ["check", str(broken)], env={"LANGUAGE": None, "LC_ALL": "fr_FR.UTF-8"}
    )
    assert french.exit_code == 1
    assert "YAML invalide\u00a0: " in french.output and "invalid YAML" not in french.output


def _structural(text: str, kind: str = "workflow") -> list[Problem]:
    from definitions.schemas import structural_problems

    document, problems = load(text, f"{kind}.yaml")
    assert not problems
    return structural_problems(document, kind)


def test_structural_problems_render_in_french():
    problems = _structural("workflow: w\ninitial: 3\nstates: [1]\ntransitons: {}\n")
    french = {p.message: p.text(FRENCH) for p in problems}
    assert french["unknown key 'transitons' here; did you mean 'transitions'?"] == (
        "clé inconnue 'transitons' ici\u00a0; vouliez-vous dire 'transitions'\u00a0?"
    )
    assert "missing required key 'transitions'" not in french  # only misspelt
    assert french["expected a text, got the number 3"] == (
        "attendu\u00a0: un texte, trouvé\u00a0: le nombre 3"
    )
    problems += _structural("workflow: w\nstates: []\ntransitions: {}\n")
    french = {p.message: p.text(FRENCH) for p in problems}
    missing = _structural("procedure: x\n", "procedure")
    assert french["the list needs at least 1 item"] == "la liste doit compter au moins 1 élément"
    french = {p.message: p.text(FRENCH) for p in missing}
    assert french["missing required key 'title'"] == "clé obligatoire manquante\u00a0: 'title'"
    assert all(p.msgid for p in problems + missing)


# -- no checker message is left in English only ---------------------------------------------

INVALID = FIXTURES / "invalid"
SITE = FIXTURES / "site.yaml"
ENVIRON = {"FIXTURE_SECRET": "s3cret-value"}


def _procedure(visible_if: str = "true") -> str:
    return f"""procedure: broken
version: 1
title: Broken
department: voirie
form:
  pages:
    - id: p
      title: Page
      fields:
        - id: nom
          type: text
          label: Nom
          visible_if: "{visible_if}"
workflow:
  states:
    - id: recue
      label: Reçue
    - id: close
      label: Close
      final: true
  transitions:
    - id: clore
      from: recue
      to: close
      by: agent
"""


def _broken_problems(tmp_path) -> list[Problem]:
    files = {
        "reference.yaml": _procedure() + "reference: '{procedure}-{annee}-{seq:x}'\n",
        "unparsable-reference.yaml": _procedure() + "reference: '{procedure}-{seq'\n",
        "long-reference.yaml": _procedure() + "reference: '{procedure}-{seq}-" + "x" * 120 + "'\n",
        "length.yaml": _procedure("'a' * 10**9"),
        "bits.yaml": _procedure("2 ** 100000 > 1"),
        "dunder.yaml": _procedure("nom.__class__"),
        "test.yaml": _procedure("nom is prime"),
        "deep.yaml": _procedure("(" * 80 + "1" + ")" * 80),
        "filter.yaml": _procedure("nom | shuffle"),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "misnamed.yaml").write_text("workflow: autre\n", encoding="utf-8")
    (workflows / "list.yaml").write_text("- a\n", encoding="utf-8")
    result = check_paths([tmp_path], SITE, environ=ENVIRON, connector_schemas=settings_schemas())
    return result.problems


def _every_problem(tmp_path) -> list[Problem]:
    problems = []
    for path in sorted(INVALID.glob("*.yaml")):
        if not path.name.endswith(".tests.yaml"):
            problems += check_paths(
                [path],
                SITE,
                environ=ENVIRON,
                connector_schemas=settings_schemas(),
                prefill_types=prefill_types(),
            ).problems
    for path in sorted((FIXTURES / "invalid-sites").glob("*.yaml")):
        problems += load_site_file(path, ENVIRON, settings_schemas(), prefill_types())[1]
    return problems + _broken_problems(tmp_path)


def test_no_problem_is_left_in_english_only(tmp_path):
    """Every problem the checker finds in the broken fixtures (and in a few more broken
    files) has a msgid and reads differently in French: nothing is English-only."""
    problems = _every_problem(tmp_path)
    messages = {p.message for p in problems}
    for expected in (
        "this reference pattern does not parse",
        "the references would be up to",
        "unknown part {annee} in the reference",
        "would build 1,000,000,000 characters",
        "would build a number of about",
        "nest more than",
        "unknown test 'prime'",
        "names starting with '_'",
        "unknown filter 'shuffle'",
        "names itself 'autre'",
        "a workflow file is a mapping",
    ):
        assert any(expected in m for m in messages), expected
    english = [p.message for p in problems if p.msgid is None or p.text(FRENCH) == p.message]
    assert english == []
    french = " ".join(p.text(FRENCH) for p in problems)
    for word in (" is not ", " in this ", " does not ", "; did you mean", "expected one of"):
        assert word not in french, word


#: The calls that make a problem, and the position of their message argument.
_MAKERS = {"error": 1, "problem": 1, "add": 1, "fail": 1, "report": 1, "of": 4}


def _english_literals(tree: ast.AST):
    """Messages given as f-strings or bare English strings instead of N_() msgids."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in _MAKERS and len(node.args) > _MAKERS[name]:
            message = node.args[_MAKERS[name]]
        elif name in ("Phrase", "SecurityError") and node.args:
            message = node.args[0]
        else:
            continue
        if isinstance(message, ast.JoinedStr | ast.BinOp):
            yield node.lineno
        elif isinstance(message, ast.Constant) and isinstance(message.value, str):
            if re.sub(r"%\(\w+\)s", "", message.value):  # not only placeholders
                yield node.lineno


def test_the_checker_writes_no_message_in_english_only():
    found = []
    for path in sorted((ROOT / "definitions").glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        found += [f"{path.name}:{line}" for line in _english_literals(tree)]
    assert found == []


def test_the_schemas_descriptions_are_msgids():
    from definitions import fieldtypes
    from definitions.schema_texts import DESCRIPTIONS
    from definitions.schemas import KINDS, schema

    def descriptions(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "description" and isinstance(item, str):
                    yield item
                else:
                    yield from descriptions(item)
        elif isinstance(value, list):
            for item in value:
                yield from descriptions(item)

    shipped = {d for kind in KINDS for d in descriptions(schema(kind))}
    own = {d for name in fieldtypes.TYPES for d in descriptions(fieldtypes.registry[name].settings)}
    assert shipped - own == set(DESCRIPTIONS)
    assert all(FRENCH.gettext(d) != d for d in shipped)
