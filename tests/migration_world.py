"""A second version of the birth certificate procedure and the migration plan that moves
running cases of the first onto it (engine and console tests share them)."""

from __future__ import annotations

from .conftest import EXAMPLES

CONSENT = """        - id: consentement
          type: boolean
          label: J'accepte que mes données servent à traiter ma demande
          required: true
"""


def version_2() -> str:
    """acte-naissance v2: ``nom`` is ``nom_naissance``, en_traitement is ``instruction``,
    and a new required field ``consentement``."""
    source = (EXAMPLES / "acte-naissance.yaml").read_text("utf-8")
    source = source.replace("version: 1", "version: 2", 1).replace("en_traitement", "instruction")
    source = source.replace("        - id: nom\n", CONSENT + "        - id: nom_naissance\n", 1)
    return source.replace("{{ nom }}", "{{ nom_naissance }}")


PLAN = """from: 1
to: 2
states:
  recue: recue
  en_traitement: instruction
fields:
  nom: nom_naissance
defaults:
  consentement: true
"""
