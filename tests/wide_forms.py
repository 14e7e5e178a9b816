"""Procedures with many fields, for the tests that count what a form of 500 fields costs."""

from __future__ import annotations

from pathlib import Path

import yaml

BIRTH = Path(__file__).resolve().parent / "fixtures" / "valid" / "birth-certificate.yaml"


def wide_procedure(fields: int, per_page: int = 10):
    """The birth-certificate fixture with ``fields`` more text fields, ``per_page`` a page,
    each shown only if the one before it is not "cacher"; returns (procedure, answers)."""
    from definitions.procedures import procedure_from_source

    data = yaml.safe_load(BIRTH.read_text("utf-8"))
    pages = data["form"]["pages"]
    extra = [
        {
            "id": f"champ_{n}",
            "type": "text",
            "label": f"Champ {n}",
            **({"visible_if": f"champ_{n - 1} != 'cacher'"} if n else {}),
        }
        for n in range(fields)
    ]
    for start in range(0, fields, per_page):
        pages.insert(
            -1 if len(pages) > 1 else len(pages),
            {
                "id": f"page_{start}",
                "title": f"Page {start}",
                "when": "relation != 'aucune'",
                "fields": extra[start : start + per_page],
            },
        )
    procedure, problems = procedure_from_source(yaml.safe_dump(data, allow_unicode=True))
    assert not problems, problems
    answers = {f"champ_{n}": f"valeur {n}" for n in range(fields)}
    answers.update(family_name="Martin", given_names="Léa", relation="self", kind="extract")
    return procedure, answers
