"""The compiled JSON Schema of answers, and the validation of answers against it."""

from __future__ import annotations

import datetime as dt

import pytest
from jsonschema import Draft202012Validator

from definitions.answers import validate_answers, visible_answers
from definitions.procedures import load_procedure

from ..conftest import FIXTURES
from ..wide_forms import wide_procedure

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def birth():
    procedure, problems = load_procedure(FIXTURES / "valid" / "birth-certificate.yaml")
    assert problems == []
    return procedure


GOOD = {
    "family_name": "Martin",
    "given_names": "Léa",
    "birth_date": "1990-04-02",
    "email": "Lea.Martin@example.org",
    "relation": "self",
    "kind": "extract",
    "id_document": "att-1",
}


def errors(procedure, answers):
    kept, found = validate_answers(procedure, answers, today=TODAY)
    return kept, [(e.field, e.keyword) for e in found]


def test_schema_is_valid_json_schema(birth):
    Draft202012Validator.check_schema(dict(birth.answers_schema))
    assert birth.answers_schema["properties"]["reason"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 2000,
        "title": "Motif de la demande",
    }
    assert birth.answers_schema["requiredWhen"] == {
        "reason": "(kind == 'full_copy' and relation == 'other')"
    }


def test_good_answers_pass_and_are_normalised(birth):
    kept, found = errors(birth, GOOD)
    assert found == []
    assert kept["email"] == "lea.martin@example.org"


def test_required_when_visible(birth):
    _, found = errors(birth, {**GOOD, "relation": "other", "kind": "full_copy"})
    assert found == [("reason", "required")]
    _, found = errors(
        birth, {**GOOD, "relation": "other", "kind": "full_copy", "reason": "Succession"}
    )
    assert found == []


def test_hidden_fields_are_dropped_not_stored(birth):
    kept, found = errors(birth, {**GOOD, "reason": "not asked"})
    assert found == [] and "reason" not in kept


def test_missing_and_wrong_values(birth):
    answers = {**GOOD, "email": "not-an-email", "birth_date": "2099-01-01", "kind": "poster"}
    del answers["family_name"]
    _, found = errors(birth, answers)
    assert found == [
        ("birth_date", "formatMaximum"),
        ("email", "format"),
        ("family_name", "required"),
        ("kind", "enum"),
    ]


def test_unknown_answers_are_refused(birth):
    _, found = errors(birth, {**GOOD, "injected": "x"})
    assert found == [("injected", "additionalProperties")]


KINDS_YAML = """
procedure: kinds
version: 1
title: Tous les types
department: etat-civil
form:
  pages:
    - id: p1
      title: Page
      fields:
        - {id: phone, type: phone, label: Téléphone}
        - {id: siret, type: siret, label: SIRET}
        - {id: iban, type: iban, label: IBAN}
        - {id: age_limit, type: date, label: Naissance, min: today-18y, max: today}
        - {id: where, type: location, label: Lieu, bounds: {south: 47, west: 1, north: 48, east: 2}}
        - {id: address, type: address, label: Adresse}
        - {id: count, type: integer, label: Nombre, min: 1, max: 3}
        - {id: consent, type: boolean, label: J'accepte, required: true}
        - {id: topics, type: multichoice, label: Sujets, options: {a: A, b: B, c: C}, max_items: 2}
        - id: children
          type: group
          label: Enfants
          max_items: 2
          fields:
            - {id: first_name, type: text, label: Prénom, required: true}
            - {id: school, type: choice, label: École, options: {x: X, y: Y}}
            - {id: class_name, type: text, label: Classe, required: true, visible_if: school == 'x'}
workflow:
  states:
    - {id: open, label: Ouvert}
    - {id: done, label: Fait, final: true}
  transitions:
    - {id: close, from: open, to: done, by: agent}
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    path = tmp_path_factory.mktemp("kinds") / "kinds.yaml"
    path.write_text(KINDS_YAML, "utf-8")
    procedure, problems = load_procedure(path)
    assert problems == []
    return procedure


def test_values_checked_with_libraries(kinds):
    answers = {
        "phone": "06 12 34 56 78",
        "siret": "732 829 320 00074",
        "iban": "fr76 3000 6000 0112 3456 7890 189",
        "consent": True,
    }
    kept, found = errors(kinds, answers)
    assert found == []
    assert kept["phone"] == "+33612345678"
    assert kept["siret"] == "73282932000074"
    assert kept["iban"] == "FR7630006000011234567890189"
    bad = {
        "phone": "06 12",
        "siret": "73282932000075",
        "iban": "FR7630006000011234567890180",
        "consent": False,
    }
    _, found = errors(kinds, bad)
    assert found == [
        ("consent", "const"),
        ("iban", "format"),
        ("phone", "phoneRegion"),
        ("siret", "format"),
    ]


def test_relative_dates_bounds_locations_and_lists(kinds):
    base = {"consent": True}
    assert errors(kinds, {**base, "age_limit": "2010-01-01"})[1] == []
    assert errors(kinds, {**base, "age_limit": "2000-01-01"})[1] == [("age_limit", "formatMinimum")]
    assert errors(kinds, {**base, "where": {"lat": 47.5, "lon": 1.5}})[1] == []
    assert errors(kinds, {**base, "where": {"lat": 49, "lon": 1.5}})[1] == [("where", "maximum")]
    assert errors(kinds, {**base, "count": 4})[1] == [("count", "maximum")]
    assert errors(kinds, {**base, "topics": ["a", "b", "c"]})[1] == [("topics", "maxItems")]
    assert errors(
        kinds, {**base, "address": {"street": "1 rue", "postcode": "4100", "city": "Blois"}}
    )[1] == [("address", "pattern")]


def test_group_items_respect_visibility(kinds):
    children = [
        {"first_name": "Léa", "school": "y", "class_name": "dropped"},
        {"first_name": "Tom", "school": "x"},
    ]
    kept, found = errors(kinds, {"consent": True, "children": children})
    assert found == [("children", "required")]
    assert "class_name" not in kept["children"][0]
    too_many = [{"first_name": "A"}, {"first_name": "B"}, {"first_name": "C"}]
    assert errors(kinds, {"consent": True, "children": too_many})[1] == [("children", "maxItems")]


# -- cost: linear in the number of fields -------------------------------------------------------


class CountingAnswers(dict):
    """Answers that count how many times a value is read."""

    reads = 0

    def get(self, key, default=None):
        CountingAnswers.reads += 1
        return super().get(key, default)

    def __getitem__(self, key):
        CountingAnswers.reads += 1
        return super().__getitem__(key)

    def items(self):
        CountingAnswers.reads += len(self)
        return super().items()


def cost_of_visible_answers(procedure, answers, monkeypatch) -> tuple[int, int]:
    """(answers read, names copied into the conditions' evaluations) for one call."""
    from definitions import expressions

    copied = []
    compiled = expressions._compiled_expression

    def counting(source):
        function = compiled(source)
        return lambda **names: copied.append(len(names)) or function(**names)

    monkeypatch.setattr(expressions, "_compiled_expression", counting)
    CountingAnswers.reads = 0
    kept = visible_answers(procedure, CountingAnswers(answers), today=TODAY)
    monkeypatch.undo()
    assert kept == visible_answers(procedure, answers, today=TODAY)
    return CountingAnswers.reads, sum(copied)


def test_visible_answers_costs_grow_linearly_with_the_number_of_fields(monkeypatch):
    small, small_answers = wide_procedure(50)
    large, large_answers = wide_procedure(500)
    small_reads, small_copied = cost_of_visible_answers(small, small_answers, monkeypatch)
    large_reads, large_copied = cost_of_visible_answers(large, large_answers, monkeypatch)
    # ten times the fields: about ten times the work (a hundred times if it were quadratic)
    assert large_reads <= 12 * small_reads, (small_reads, large_reads)
    assert large_copied <= 12 * small_copied, (small_copied, large_copied)
    assert large_reads <= 4 * 510, large_reads


def test_visible_answers_still_reads_earlier_and_later_answers(monkeypatch):
    procedure, answers = wide_procedure(30)
    answers["champ_9"] = "cacher"
    kept = visible_answers(procedure, answers, today=TODAY)
    assert "champ_9" in kept and "champ_10" not in kept and "champ_11" in kept
    # a hidden page drops its fields; the conditions after it read the answers as given
    answers["relation"] = "aucune"
    kept = visible_answers(procedure, answers, today=TODAY)
    assert not any(key.startswith("champ_") for key in kept)
