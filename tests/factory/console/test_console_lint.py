"""The console shows the lint's warnings beside a version's problems, in French."""

from __future__ import annotations

import html

from .world import check, source_of


def test_warnings_are_shown_in_french_beside_the_preview_and_the_problems(app, admin):  # noqa: F811
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    assert "label: Votre nom\n" in source
    vague = source.replace("label: Votre nom\n", "label: Divers\n", 1)
    checked = check(admin, vague)
    assert checked.status_code == 200  # a warning does not stop the preview
    page = html.unescape(checked.get_data(as_text=True))
    assert "1 avertissement" in page and "Preview of" not in page
    assert "le libellé 'Divers' ne dit rien de ce qui est demandé" in page
    assert "lint/vague-label" in page and 'class="preview"' in page
    number = next(n for n, text in enumerate(vague.splitlines(), 1) if "label: Divers" in text)
    assert f"ligne {number}, colonne " in page
    broken = vague.replace("\ntitle:", "\ntitel: x\ntitle:", 1)
    refused = check(admin, broken)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "clé inconnue 'titel'" in page and "lint/vague-label" in page
    assert "avertissement" not in html.unescape(check(admin, source).get_data(as_text=True))
