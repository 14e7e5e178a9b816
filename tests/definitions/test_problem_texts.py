"""The checker's problems carry their msgid and values: English on the command line unless
the locale says otherwise, French in the console."""

from __future__ import annotations

from click.testing import CliRunner

from definitions.errors import MAX_PROBLEMS, Problem, capped
from definitions.loader import load
from definitions.texts import N_, translations
from factory.cli import main

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
