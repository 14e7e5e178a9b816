"""All the problems at once: the semantic checks run on the parts of a procedure that are
valid by themselves, even when another part has structural problems."""

from __future__ import annotations

import pytest

from definitions.partial import part_is_valid
from definitions.procedures import procedure_from_source

SOURCE = """\
procedure: essai
version: 1
title: Essai
department: etat-civil
reference: "ES-{year}-{seq:06d}"
form:
  pages:
    - id: vous
      title: Vous
      fields:
        - id: nom
          type: text
          label: Nom
workflow:
  initial: deposee
  states:
    - id: deposee
      label: Déposée
    - id: traitee
      label: Traitée
      final: true
  transitions:
    - id: traiter
      from: deposee
      to: traitee
      by: agent
      if: nom != ""
"""
MISSPELT_KEY = ("          label: Nom\n", "          lable: Nom\n")  # structural, in the form
WRONG_TO = ("      to: traitee\n", "      to: nulle_part\n")  # semantic, in the workflow


def problems(source: str, site=None) -> list[str]:
    procedure, found = procedure_from_source(source, name="essai.yaml", site=site)
    assert procedure is None or not found
    return [f"{p.line}:{p.column}: {p.message}" for p in found]


def line_of(source: str, text: str) -> int:
    return source[: source.index(text)].count("\n") + 1


def test_the_source_checks_as_it_is():
    assert problems(SOURCE) == []


def test_a_misspelt_key_does_not_hide_a_wrong_to():
    source = SOURCE.replace(*MISSPELT_KEY).replace(*WRONG_TO)
    found = problems(source)
    assert any(p.startswith(f"{line_of(source, 'lable')}:11: unknown key 'lable'") for p in found)
    assert any(
        p.startswith(f"{line_of(source, 'nulle_part')}:11:") and "'nulle_part'" in p for p in found
    ), found
    # the wrong 'to:' alone says the same about it: the same check ran
    alone = problems(SOURCE.replace(*WRONG_TO))
    assert [p for p in found if "nulle_part" in p] == alone


def test_a_valid_form_is_checked_with_the_workflow_that_reads_it():
    """The guard reads a field the form does not have: found although 'title' is missing."""
    source = SOURCE.replace("title: Essai\n", "").replace('nom != ""', 'prenom != ""')
    found = problems(source)
    assert any("missing required key 'title'" in p for p in found)
    assert any("prenom" in p and p.startswith(f"{line_of(source, 'prenom')}:") for p in found)


def test_a_broken_workflow_still_lets_the_form_and_the_reference_be_checked():
    source = (
        SOURCE.replace("      by: agent\n", "      by: personne\n")
        .replace("{seq:06d}", "{numero}")
        .replace(
            "          label: Nom\n",
            "          label: Nom\n"
            "        - id: nom\n          type: email\n          label: Courriel\n",
        )
    )
    found = problems(source)
    reference = line_of(source, "reference:")
    assert any(p.startswith(f"{reference}:") and "{numero}" in p for p in found), found
    twice = line_of(source, "type: email") - 1
    assert any(p.startswith(f"{twice}:") and "'nom' is used twice" in p for p in found), found
    assert any(p.startswith(f"{line_of(source, 'personne')}:") for p in found)


def test_an_unknown_department_is_found_beside_a_structural_problem(runtime):
    source = SOURCE.replace("department: etat-civil", "department: etat-civi").replace(
        *MISSPELT_KEY
    )
    found = problems(source, runtime.site)
    assert any(
        p.startswith("4:13: the department 'etat-civi' is not declared") and "etat-civil" in p
        for p in found
    ), found
    assert any("unknown key 'lable'" in p for p in found)


def test_a_form_with_problems_leaves_the_workflow_checked_as_a_graph():
    """Without a valid form there are no fields to read: the graph is checked, the guard
    (which reads a field) is not judged."""
    source = SOURCE.replace(*MISSPELT_KEY).replace(*WRONG_TO).replace('nom != ""', 'zzz != ""')
    found = problems(source)
    assert any("nulle_part" in p for p in found)
    assert not any("zzz" in p for p in found)


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("department", "etat-civil", True),
        ("department", ["etat-civil"], False),
        ("form", {"pages": []}, False),
        ("workflow", {"use": "instruction"}, True),
        ("workflow", {"states": [], "transitions": []}, False),
    ],
)
def test_each_part_is_judged_against_its_own_schema(key, value, valid):
    assert part_is_valid(key, value) is valid
