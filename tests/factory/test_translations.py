"""The French catalogues: complete, compiled, up to date, and used by the application.

One gettext catalogue per package that writes what people read, each
PACKAGE/translations/fr/LC_MESSAGES/messages.po (English msgids), extracted with the same
babel.cfg and keywords; the .mo beside it is what the package loads. How to extract, update
and compile: README.md, "Translations".
"""

from __future__ import annotations

import gettext
import io
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ..conftest import ROOT

#: The packages with a catalogue, and the fewest messages each holds.
PACKAGES = {"factory": 100, "renderers": 300, "engine": 5, "definitions": 15}

#: The extraction keywords of README.md's command, beyond Babel's defaults (which include
#: N_ for msgids kept in data): the renderers' message(field, msgid), plural(field, one,
#: many, n), Parsed(msgid), Check(predicate, msgid) and Part(name, label).
KEYWORDS = {
    "_l": None,
    "lazy_gettext": None,
    "message": (2,),
    "plural": (2, 3),
    "Parsed": None,
    "Check": (2,),
    "Part": (2,),
}


def po_path(package: str):
    return ROOT / package / "translations" / "fr" / "LC_MESSAGES" / "messages.po"

#: %(name)s, %(num)d... and the bare %s, %d of printf.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module", params=sorted(PACKAGES))
def package(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def catalog(package):
    with po_path(package).open("rb") as stream:
        return read_po(stream, locale="fr")


def messages(catalog):
    return [m for m in catalog if m.id]


def forms(message) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs: a plural msgstr[i] answers the singular for i == 0, else the
    plural msgid."""
    if not message.pluralizable:
        return [(message.id, message.string)]
    ids, strings = message.id, message.string
    return [(ids[0] if i == 0 else ids[1], s) for i, s in enumerate(strings)]


# -- (a) the .po is complete and sound --------------------------------------------------------


def test_the_catalogue_is_french_with_french_plural_forms(catalog, package):
    assert str(catalog.locale) == "fr"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in ("(n>1)", "n>1")
    assert len(messages(catalog)) > PACKAGES[package]


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    assert not catalog.fuzzy, "the catalogue's header is marked fuzzy"
    fuzzy = [m.id for m in messages(catalog) if m.fuzzy]
    assert fuzzy == [], f"fuzzy entries: {fuzzy}"
    empty = [m.id for m in messages(catalog) if any(not s.strip() for _, s in forms(m))]
    assert empty == [], f"untranslated entries: {empty}"
    if catalog.obsolete:
        pytest.fail(f"obsolete entries (#~) left in the catalogue: {list(catalog.obsolete)}")


def test_every_placeholder_is_kept(catalog):
    wrong = []
    for message in messages(catalog):
        allowed = set()
        for msgid, _ in forms(message):
            allowed.update(placeholders(msgid))
        for msgid, msgstr in forms(message):
            found = set(placeholders(msgstr))
            if not set(placeholders(msgid)) <= found or not found <= allowed:
                wrong.append((msgid, msgstr))
    assert wrong == [], f"placeholders lost or added: {wrong}"


def test_no_stray_percent_sign(catalog):
    """Templates always %-format their strings (Jinja's newstyle gettext): a lone % breaks
    the page. A literal percent sign is written %%."""
    stray = [
        msgstr
        for message in messages(catalog)
        for _, msgstr in forms(message)
        if "%" in PLACEHOLDER.sub("", msgstr.replace("%%", ""))
    ]
    assert stray == []


def test_french_typography_before_the_colon(catalog):
    """A space (preferably non-breaking) before : ; ? ! in French, never a word glued to it."""
    glued = [
        msgstr
        for message in messages(catalog)
        for _, msgstr in forms(message)
        if re.search(r"\w[:;?!](?:\s|$)", PLACEHOLDER.sub("x", msgstr))
    ]
    assert glued == []


def test_the_catalogue_matches_the_sources(catalog, package):
    """Every string marked in the package (code and templates) is in its catalogue, and the
    catalogue holds nothing the sources no longer use: extract, update, translate, compile."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    keywords = dict(DEFAULT_KEYWORDS, **KEYWORDS)
    extracted = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT / package), method_map, options_map, keywords=keywords
    ):
        extracted.add((message if isinstance(message, str) else tuple(message), context))
    in_catalogue = {
        (m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in messages(catalog)
    }
    advice = "run the commands of README.md, Translations"
    assert sorted(extracted - in_catalogue, key=str) == [], f"not in the catalogue: {advice}"
    assert sorted(in_catalogue - extracted, key=str) == [], f"no longer in the sources: {advice}"


# -- (b) the .mo is the compiled .po ------------------------------------------------------------


def test_the_compiled_catalogue_is_up_to_date(catalog, package):
    mo = po_path(package).with_suffix(".mo")
    assert mo.exists(), f"the .mo is missing: pybabel compile -d {package}/translations"
    expected = io.BytesIO()
    write_mo(expected, catalog)
    expected.seek(0)
    compiled = gettext.GNUTranslations(expected)._catalog
    with mo.open("rb") as stream:
        on_disk = gettext.GNUTranslations(stream)._catalog
    advice = f"the .mo is older than the .po: pybabel compile -d {package}/translations"
    assert {k: v for k, v in on_disk.items() if k != ""} == {
        k: v for k, v in compiled.items() if k != ""
    }, advice
    # The header counts too (plural forms, charset, language), but not the line naming the
    # Babel version that compiled it: a newer Babel must not make a catalogue stale.
    assert _header(on_disk) == _header(compiled), advice


def _header(messages: dict) -> list[str]:
    return [
        line
        for line in messages.get("", "").splitlines()
        if line and not line.startswith("Generated-By:")
    ]


# -- (c) the application speaks French first, English on demand ----------------------------------


@pytest.fixture
def people():
    return {}


def page(client, path: str, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_catalogue_page_is_in_french_by_default(app):
    html = page(app.test_client(), "/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="fr">' in html
    assert "Démarches en ligne" in html
    assert "Aller au contenu" in html
    assert "Se connecter" in html and "Créer un compte" in html
    assert re.search(r"\d+ démarches?</p>", html)
    assert "Online procedures" not in html


def test_the_catalogue_page_is_in_english_on_demand(app):
    client = app.test_client()
    html = page(client, "/?lang=en")
    assert '<html lang="en">' in html
    assert "Online procedures" in html
    assert "Skip to content" in html
    assert "Démarches en ligne" not in html
    # the choice is kept for the next pages, and can be undone
    assert '<html lang="en">' in page(client, "/connexion")
    assert "Démarches en ligne" in page(client, "/?lang=fr")


def test_the_sign_in_page_is_in_french(app):
    html = page(app.test_client(), "/connexion")
    assert '<html lang="fr">' in html
    assert "<h1>Se connecter</h1>" in html
    assert "Adresse électronique" in html and "Mot de passe" in html
    assert "Mot de passe oublié\u00a0?" in html


def test_an_error_page_is_in_french(app):
    response = app.test_client().get("/demarches/no-such-procedure")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html
    assert "Retour aux démarches en ligne" in html
