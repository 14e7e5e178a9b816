"""The preview of a version draws its workflow with Graphviz, or says why it cannot."""

from __future__ import annotations

import html
import shutil

import pytest

from factory.console import diagram

from ...conftest import missing_service
from .world import check, source_of


def preview(app, admin):  # noqa: F811
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    response = check(admin, source)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_diagram_is_an_accessible_svg_in_french(app, admin):  # noqa: F811
    if shutil.which("dot") is None:
        missing_service("Graphviz's dot is not installed")
    page = preview(app, admin)
    assert '<svg width="' in page and 'role="img"' in page
    assert '<title id="diagram-title">Circuit de la démarche «' in page
    assert "transitions\u00a0; ils sont listés en texte ci-dessus.</desc>" in page
    assert "Pas de schéma" not in page


@pytest.mark.parametrize("broken", ["missing", "failing"])
def test_without_a_working_dot_the_lists_stay_with_a_note(app, admin, monkeypatch, broken):  # noqa: F811
    if broken == "missing":
        monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
        note = "Graphviz (le programme dot) n’est pas installé sur le serveur"
    else:
        monkeypatch.setattr(diagram.shutil, "which", lambda name: "/bin/false")
        note = "Graphviz (le programme dot) n’a pas pu dessiner ce circuit à temps"
    page = preview(app, admin)
    assert note in page and "<svg" not in page
    assert 'class="states"' in page and 'class="transitions"' in page
