"""The workflow's Mermaid diagram names states, actions and departments in words."""

from __future__ import annotations

from definitions.mermaid import mermaid
from definitions.procedures import load_procedure

from ..conftest import FIXTURES


def test_the_diagram_names_departments_and_notes_in_the_reader_language():
    procedure, problems = load_procedure(FIXTURES / "valid" / "birth-certificate.yaml")
    assert procedure is not None, problems
    text = mermaid(procedure, "fr", {"etat-civil": "État civil"})
    assert '    state "Reçue (État civil)" as received' in text
    assert "etat-civil" not in text
    assert "Après 30 jours, déclenche « abandon »" in text
    english = mermaid(procedure, "en", {"etat-civil": "Civil registry"})
    assert "(Civil registry, the citizen acts)" in english
    assert "After 30 days, fires “abandon”" in english
