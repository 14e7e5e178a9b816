"""Forms and accessible HTML for the fields of a procedure (renderers/)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import jinja2
import pytest
from babel.messages.pofile import read_po
from werkzeug.datastructures import FileStorage

from definitions.fieldtypes import TYPES
from definitions.loader import load
from definitions.procedures import load_procedure, read_procedure
from renderers import (
    DuplicateFieldType,
    Registry,
    answers_from,
    default_registry,
    form_data_from,
    page_form,
    registry,
    to_client,
    transition_form,
)
from renderers.fields import BUILTIN_TYPES, TextType
from renderers.i18n import ENGLISH, catalog_path, load_translations

from ..conftest import EXAMPLES
from .pages import PROCEDURE, Document, Node, formdata

TODAY = dt.date(2026, 3, 2)
FRENCH = load_translations("fr")


#: A page of the procedure above, filled correctly.
GOOD = {
    "nom": "  Martin ",
    "code": "ABC",
    "courriel": "Lea.Martin@Example.org",
    "telephone": "06 12 34 56 78",
    "nombre": "2",
    "montant": "1 200,50",
    "naissance": "02/04/1990",
    "lien": "titulaire",
    "usage": "b",
    "activites": ["matin", "soir"],
    "accord": "y",
    "adresse-street": "1 rue de la Paix",
    "adresse-postcode": "41 000",
    "adresse-city": "Valbois-sur-Loire",
    "adresse-country": "FR",
    "siret": "732 829 320 00074",
    "iban": "fr76 3000 6000 0112 3456 7890 189",
    "position-lat": "47,6",
    "position-lon": "1.3",
    "enfants-0-prenom_enfant": "Léo",
}


@pytest.fixture(scope="module")
def procedure():
    document, problems = load(PROCEDURE, "every-field.yaml")
    assert problems == []
    procedure, problems = read_procedure(document)
    assert problems == []
    return procedure


@pytest.fixture(scope="module")
def environment():
    """A bare Jinja environment: the macros need no Flask global."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("renderers", "templates"), autoescape=True
    )


def page(procedure, page_id="one", posted=None, answers=None, translations=None):
    cls = page_form(procedure, page_id)
    data = formdata(posted) if posted is not None else None
    return cls(data, answers=answers or {}, today=TODAY, translations=translations)


def render(environment, form) -> str:
    template = environment.from_string(
        '{% import "renderers/form.html" as guichet %}'
        "{{ guichet.error_summary(form) }}"
        '<form method="post" enctype="multipart/form-data" novalidate>'
        "{{ guichet.render_fields(form) }}</form>"
    )
    return template.render(form=form)


def describedby(node) -> list[str]:
    return (node.get("aria-describedby") or "").split()


def legend_of(node) -> str:
    fieldset = next(a for a in node.ancestors() if a.tag == "fieldset")
    legend = next(c for c in fieldset.children if isinstance(c, Node) and c.tag == "legend")
    return legend.text


# -- files --------------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def upload(content: bytes, filename: str, content_type: str = "application/pdf"):
    return FileStorage(io.BytesIO(content), filename=filename, content_type=content_type)


# -- the registry -------------------------------------------------------------------------


def test_every_field_type_of_the_format_has_a_class():
    assert set(registry) == set(TYPES)
    assert {cls.type for cls in BUILTIN_TYPES} == set(TYPES)


def test_a_type_registered_twice_names_both_classes():
    class AnotherText(TextType):
        type = "text"

    with pytest.raises(DuplicateFieldType) as caught:
        Registry([*BUILTIN_TYPES, AnotherText])
    message = str(caught.value)
    assert "'text'" in message
    assert "renderers.fields.text.TextType" in message
    assert "AnotherText" in message


def test_an_unknown_type_says_which_ones_exist(procedure):
    from dataclasses import replace

    from renderers import UnknownFieldType

    with pytest.raises(UnknownFieldType, match="no field-type class renders 'signature'"):
        registry.bind(replace(procedure.fields["nom"], type="signature"))


def test_an_app_may_add_its_own_type(procedure):
    class Shouting(TextType):
        type = "shout"

    own = default_registry()
    own.register(Shouting)
    assert "shout" in own and "shout" not in registry


@pytest.mark.parametrize(
    ("field_id", "autocomplete", "inputmode"),
    [
        ("nom", "family-name", None),
        ("courriel", "email", "email"),
        ("telephone", "tel", "tel"),
        ("nombre", None, "numeric"),
        ("montant", None, "decimal"),
        ("siret", None, "numeric"),
        ("naissance", "bday", None),
    ],
)
def test_autocomplete_and_inputmode_defaults(procedure, field_id, autocomplete, inputmode):
    kind = registry.bind(procedure.fields[field_id])
    assert (kind.autocomplete, kind.inputmode) == (autocomplete, inputmode)


# -- HTML of each field type --------------------------------------------------------------


@pytest.fixture(scope="module")
def blank(procedure, environment):
    return Document(render(environment, page(procedure)))


@pytest.mark.parametrize(
    ("control", "tag", "input_type", "autocomplete", "inputmode"),
    [
        ("nom", "input", "text", "family-name", None),
        ("code", "input", "text", None, None),
        ("message", "textarea", None, None, None),
        ("courriel", "input", "email", "email", "email"),
        ("telephone", "input", "tel", "tel", "tel"),
        ("nombre", "input", "text", None, "numeric"),
        ("montant", "input", "text", None, "decimal"),
        ("naissance", "input", "date", "bday", None),
        ("usage", "select", None, None, None),
        ("accord", "input", "checkbox", None, None),
        ("piece", "input", "file", None, None),
        ("siret", "input", "text", None, "numeric"),
        ("iban", "input", "text", None, None),
        ("adresse-street", "input", "text", "street-address", None),
        ("adresse-postcode", "input", "text", "postal-code", "numeric"),
        ("adresse-city", "input", "text", "address-level2", None),
        ("adresse-country", "select", None, "country", None),
        ("position-lat", "input", "text", "off", "decimal"),
        ("position-lon", "input", "text", "off", "decimal"),
        ("enfants-0-prenom_enfant", "input", "text", None, None),
    ],
)
def test_each_input_has_its_label_and_tokens(
    blank, control, tag, input_type, autocomplete, inputmode
):
    node = blank.by_id(control)
    assert node.tag == tag
    assert node.get("type") == input_type
    assert node.get("autocomplete") == autocomplete
    assert node.get("inputmode") == inputmode
    assert blank.label_for(control).text


@pytest.mark.parametrize(
    ("control", "legend"),
    [
        ("lien-0", "Vous êtes (required)"),
        ("activites-0", "Activités"),
        ("adresse-street", "Adresse (required)"),
        ("position-lat", "Position"),
        ("enfants-0-prenom_enfant", "Enfant 1"),
    ],
)
def test_grouped_inputs_are_in_a_fieldset_with_a_legend(blank, control, legend):
    assert legend_of(blank.by_id(control)) == legend


def test_a_group_is_a_fieldset_of_items(blank):
    group = blank.by_id("enfants")
    assert group.tag == "fieldset"
    assert group.children[1].tag == "legend" and group.children[1].text == "Enfants"
    item = blank.by_id("enfants-0")
    assert item.tag == "fieldset" and item.parent is group


def test_every_control_has_a_label_and_ids_are_unique(blank):
    ids = [n.get("id") for n in blank.root.iter() if n.get("id")]
    assert len(ids) == len(set(ids))
    for node in blank.root.iter():
        if node.tag in ("input", "select", "textarea") and node.get("type") != "hidden":
            if node.get("class") == "guichet-implicit-submit":
                continue
            assert blank.label_for(node.get("id")).text


def test_hints_are_tied_and_required_is_marked(blank):
    nom = blank.by_id("nom")
    assert describedby(nom) == ["nom-hint"]
    assert blank.by_id("nom-hint").text == "Votre nom de naissance."
    assert "(required)" in blank.label_for("nom").text
    assert "required" in nom.attrs
    # a conditional field is marked, but not required by the browser
    precision = blank.by_id("precision")
    assert "(required)" in blank.label_for("precision").text
    assert "required" not in precision.attrs
    assert "(required)" not in blank.label_for("code").text


def test_units_are_shown_after_the_input_and_tied(blank):
    nombre = blank.by_id("nombre")
    assert describedby(nombre) == ["nombre-unit"]
    assert blank.by_id("nombre-unit").text == "exemplaire(s)"
    assert blank.by_id("montant-unit").text == "€"


def test_formats_are_given_in_the_hint(blank):
    assert "dd/mm/yyyy" in blank.by_id("naissance-hint").text
    assert blank.by_id("naissance").get("max") == "2008-03-02"  # today-18y
    assert "06 12 34 56 78" in blank.by_id("telephone-hint").text


def test_choice_widgets(blank):
    assert [n.get("value") for n in blank.all("input", name="lien")] == [
        "titulaire",
        "parent",
        "autre",
    ]
    assert all(n.get("type") == "radio" for n in blank.all("input", name="lien"))
    options = [n.get("value") for n in blank.by_id("usage").iter() if n.tag == "option"]
    assert options == ["", "a", "b"]


def test_a_choice_with_many_options_is_a_select(procedure):
    from dataclasses import replace

    from definitions.model import Text

    many = replace(
        procedure.fields["lien"],
        options={str(i): Text({"fr": f"Option {i}"}) for i in range(6)},
    )
    assert registry.bind(many).macro == "select"
    assert registry.bind(procedure.fields["lien"]).macro == "radios"


def test_a_file_input_accepts_its_types_and_says_the_size(blank):
    piece = blank.by_id("piece")
    assert piece.get("accept") == "application/pdf"
    assert "Maximum size: 2 KB." in blank.by_id("piece-hint").text
    photos = blank.by_id("photos")
    assert "multiple" in photos.attrs and photos.get("accept") == "image/png,image/jpeg"


def test_a_boolean_is_one_checkbox_and_info_a_paragraph(blank):
    accord = blank.by_id("accord")
    assert accord.get("type") == "checkbox" and accord.get("value") == "y"
    assert not any(a.tag == "fieldset" for a in accord.ancestors())
    info = blank.by_id("info_fin")
    assert [p.text for p in info.children if isinstance(p, Node) and p.tag == "p"] == [
        "Merci de votre demande.",
        "À bientôt.",
    ]


def test_the_country_is_a_select_with_france_first(blank):
    country = blank.by_id("adresse-country")
    options = [n for n in country.iter() if n.tag == "option"]
    assert options[0].get("value") == "FR" and "selected" in options[0].attrs
    assert len(options) > 200


def test_the_macros_escape_even_without_autoescape(procedure):
    loader = jinja2.PackageLoader("renderers", "templates")
    bare = jinja2.Environment(loader=loader, autoescape=False)  # noqa: S701 - what is tested
    form = page(procedure, posted={**GOOD, "nom": '<script>alert("x")</script>'})
    html = render(bare, form)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# -- errors -------------------------------------------------------------------------------

BAD = {
    "nom": "",
    "code": "abc",
    "courriel": "pas-un-courriel",
    "telephone": "12",
    "nombre": "deux",
    "montant": "-1",
    "naissance": "2020-01-01",
    "usage": "z",
    "activites": ["matin", "midi", "soir"],
    "adresse-street": "1 rue de la Paix",
    "adresse-postcode": "123",
    "adresse-city": "Valbois",
    "siret": "123",
    "iban": "FR00 1234",
    "position-lat": "10",
    "position-lon": "1,3",
    "enfants-0-prenom_enfant": "",
    "enfants-0-allergie": "y",  # a blank item of an optional group would be ignored
    "enfants-0-detail_allergie": "Arachide",
}

#: The inputs that must be marked faulty, and the element their error is tied to.
FAULTY = [
    ("nom", "nom"),
    ("code", "code"),
    ("courriel", "courriel"),
    ("telephone", "telephone"),
    ("nombre", "nombre"),
    ("montant", "montant"),
    ("naissance", "naissance"),
    ("usage", "usage"),
    ("accord", "accord"),
    ("siret", "siret"),
    ("iban", "iban"),
    ("adresse-postcode", "adresse-postcode"),
    ("position-lat", "position-lat"),
    ("enfants-0-prenom_enfant", "enfants-0-prenom_enfant"),
    ("lien-0", "lien"),
    ("activites-0", "activites"),
]


@pytest.fixture(scope="module")
def faulty(procedure, environment):
    form = page(procedure, posted=BAD)
    assert not form.validate()
    return form, Document(render(environment, form))


@pytest.mark.parametrize(("control", "described"), FAULTY)
def test_errors_are_tied_to_their_input(faulty, control, described):
    _, document = faulty
    node = document.by_id(control)
    assert node.get("aria-invalid") == "true"
    owner = document.by_id(described)  # the input, or the fieldset of radios and boxes
    assert f"{described}-error" in describedby(owner)
    assert document.by_id(f"{described}-error").text.startswith("Error:")


def test_the_error_summary_links_to_each_faulty_field(faulty):
    form, document = faulty
    summary = document.all("div", role="alert")
    assert len(summary) == 1
    links = [a.get("href") for a in summary[0].iter() if a.tag == "a"]
    expected = [
        "#nom",
        "#code",
        "#courriel",
        "#telephone",
        "#nombre",
        "#montant",
        "#naissance",
        "#lien-0",
        "#usage",
        "#activites-0",
        "#accord",
        "#adresse-postcode",
        "#siret",
        "#iban",
        "#position-lat",
        "#enfants-0-prenom_enfant",
    ]
    assert links == expected
    for href in links:
        document.by_id(href[1:])  # every link lands on an element
    title = summary[0].children[1]
    assert title.tag == "h2" and title.text == f"There are {len(expected)} errors"
    assert summary[0].get("aria-labelledby") == title.get("id")


@pytest.mark.parametrize(
    ("field_id", "message"),
    [
        ("code", "Trois lettres capitales."),
        ("courriel", "Enter an email address in the right format, such as name@example.fr."),
        ("nombre", "Enter a whole number, such as 12."),
        ("montant", "Enter a number greater than or equal to 0."),
        ("naissance", "Enter a date on or before 02/03/2008."),
        ("activites", "Choose at most 2 options."),
        ("accord", "Tick this box to continue."),
        ("siret", "A SIRET number has 14 digits."),
    ],
)
def test_messages_say_what_to_do(faulty, field_id, message):
    form, _ = faulty
    assert form[field_id].errors == [message]


def test_messages_are_translated_and_required_says_obligatoire(procedure, environment):
    form = page(procedure, posted=BAD, translations=FRENCH)
    form.validate()
    document = Document(render(environment, form))
    summary = document.all("div", role="alert")[0]
    assert summary.children[1].text == "Il y a 16 erreurs"
    assert "(obligatoire)" in document.label_for("nom").text
    assert (
        document.by_id("nombre-error").text
        == "Erreur : Saisissez un nombre entier, par exemple 12."
    )
    assert document.by_id("adresse-postcode-error").text == (
        "Erreur : Un code postal français comporte 5 chiffres, par exemple 41000."
    )
    links = [a.text for a in summary.iter() if a.tag == "a"]
    assert links[0] == "Nom : Renseignez ce champ."
    assert "Enfant 1 – Prénom : Renseignez ce champ." in links


def test_one_error_reads_in_the_singular(procedure, environment):
    form = page(procedure, posted={**GOOD, "nom": ""}, translations=FRENCH)
    assert not form.validate()
    summary = Document(render(environment, form)).all("div", role="alert")[0]
    assert summary.children[1].text == "Il y a 1 erreur"


# -- validation and answers ---------------------------------------------------------------


def test_a_good_page_gives_normalised_answers(procedure):
    form = page(procedure, posted=GOOD)
    assert form.validate(), form.errors
    assert answers_from(form) == {
        "nom": "Martin",
        "code": "ABC",
        "courriel": "lea.martin@example.org",
        "telephone": "+33612345678",
        "nombre": 2,
        "montant": 1200.5,
        "naissance": "1990-04-02",
        "lien": "titulaire",
        "usage": "b",
        "activites": ["matin", "soir"],
        "accord": True,
        "adresse": {
            "street": "1 rue de la Paix",
            "postcode": "41000",
            "city": "Valbois-sur-Loire",
            "country": "FR",
        },
        "siret": "73282932000074",
        "iban": "FR7630006000011234567890189",
        "position": {"lat": 47.6, "lon": 1.3},
        "enfants": [{"prenom_enfant": "Léo", "allergie": False}],
    }


def test_answers_pass_the_procedures_own_validation(procedure):
    from definitions.answers import validate_answers

    form = page(procedure, posted=GOOD)
    assert form.validate()
    _, errors = validate_answers(procedure, answers_from(form), today=TODAY)
    assert errors == []


def test_stored_answers_fill_the_form_again(procedure):
    first = page(procedure, posted=GOOD)
    assert first.validate()
    answers = answers_from(first)
    again = page(procedure, answers=answers)
    assert again["naissance"].data == dt.date(1990, 4, 2)
    assert again["montant"]._value() == "1200.5"  # English: no catalogue given
    assert again["adresse"].form["city"].data == "Valbois-sur-Loire"
    assert again["enfants"].entries[0].form["prenom_enfant"].data == "Léo"
    assert answers_from(again) == answers
    assert form_data_from(type(again), answers)["lien"] == "titulaire"


def test_defaults_fill_an_unanswered_page(procedure):
    form = page(procedure)
    assert form["adresse"].form["country"].data == "FR"
    assert len(form["enfants"].entries) == 1


def test_a_hidden_required_field_is_not_required_nor_kept(procedure):
    form = page(procedure, posted={**GOOD, "precision": "kept?"})
    assert form.validate(), form.errors
    assert "precision" not in answers_from(form)
    form = page(procedure, posted={**GOOD, "lien": "autre"})
    assert not form.validate()
    assert form["precision"].errors == ["Fill in this field."]
    form = page(procedure, posted={**GOOD, "lien": "autre", "precision": "Tuteur"})
    assert form.validate()
    assert answers_from(form)["precision"] == "Tuteur"


def test_conditions_read_earlier_pages(procedure, environment):
    form = page(procedure, "two", posted={}, answers={"lien": "titulaire"})
    assert form.validate()
    document = Document(render(environment, form))
    wrapper = document.by_id("nom_parent-field")
    assert "hidden" in wrapper.attrs and "data-visible-if" not in wrapper.attrs
    assert document.label_for("nom_parent").text  # rendered all the same
    form = page(procedure, "two", posted={}, answers={"lien": "parent"})
    assert not form.validate()
    assert form["nom_parent"].errors == ["Fill in this field."]


def test_a_condition_that_cannot_be_evaluated_hides_its_field(procedure):
    form = page(procedure, "two", posted={"majeur": "oui"}, answers={})  # age(None)
    assert form.validate()
    assert "majeur" not in answers_from(form)
    form = page(procedure, "two", posted={"majeur": "oui"}, answers={"naissance": "1990-04-02"})
    assert answers_from(form) == {"majeur": "oui"}


def test_a_sub_field_is_required_only_when_its_item_shows_it(procedure):
    posted = {**GOOD, "enfants-0-allergie": "y"}
    form = page(procedure, posted=posted)
    assert not form.validate()
    assert form["enfants"].entries[0].form["detail_allergie"].errors == ["Fill in this field."]
    form = page(procedure, posted={**posted, "enfants-0-detail_allergie": "Arachide"})
    assert form.validate()
    assert answers_from(form)["enfants"] == [
        {"prenom_enfant": "Léo", "allergie": True, "detail_allergie": "Arachide"}
    ]
    form = page(procedure, posted={**GOOD, "enfants-0-detail_allergie": "hidden"})
    assert form.validate()
    assert "detail_allergie" not in answers_from(form)["enfants"][0]


@pytest.mark.parametrize(
    ("value", "stored"),
    [("2007-03-27", "2007-03-27"), ("27/03/2007", "2007-03-27"), ("7.3.2007", "2007-03-07")],
)
def test_dates_are_read_both_ways_and_stored_iso(procedure, value, stored):
    form = page(procedure, posted={**GOOD, "naissance": value})
    assert form.validate(), form.errors
    assert answers_from(form)["naissance"] == stored


def test_an_impossible_date_is_refused(procedure):
    form = page(procedure, posted={**GOOD, "naissance": "31/02/2000"})
    assert not form.validate()
    assert form["naissance"].errors == ["Enter a real date, such as 27/03/2007."]
    assert form["naissance"]._value() == "31/02/2000"  # shown again as typed


def test_a_foreign_postcode_is_not_held_to_five_digits(procedure):
    posted = {**GOOD, "adresse-postcode": "SW1A 1AA", "adresse-country": "GB"}
    form = page(procedure, posted=posted)
    assert form.validate(), form.errors
    assert answers_from(form)["adresse"]["postcode"] == "SW1A 1AA"


def test_a_location_outside_its_bounds_is_refused(procedure):
    form = page(procedure, posted={**GOOD, "position-lat": "48"})
    assert not form.validate()
    assert form["position"].form["lat"].errors == ["Enter a latitude between 47.55 and 47.64."]
    form = page(procedure, posted={**GOOD, "position-lat": "", "position-lon": ""})
    assert form.validate()
    assert "position" not in answers_from(form)


# -- groups without JavaScript ------------------------------------------------------------


def test_add_an_item_without_javascript(procedure, environment):
    form = page(procedure, posted={**GOOD, "action": "add:enfants"})
    assert form.group_action.kind == "add" and form.group_action.applied
    assert len(form["enfants"].entries) == 2
    document = Document(render(environment, form))
    assert document.by_id("enfants-0-prenom_enfant").get("value") == "Léo"
    assert document.by_id("enfants-1-prenom_enfant").get("value") == ""
    assert legend_of(document.by_id("enfants-1-prenom_enfant")) == "Enfant 2"
    buttons = {b.get("value"): b.text for b in document.all("button", name="action")}
    assert buttons == {
        "remove:enfants:0": "Remove: Enfant 1",
        "remove:enfants:1": "Remove: Enfant 2",
        "add:enfants": "Add: Enfant 3",
    }
    assert all("formnovalidate" in b.attrs for b in document.all("button", name="action"))
    # the first submit button of the form is the implicit one, for the Enter key
    first = next(n for n in document.root.iter() if n.tag == "button")
    assert first.get("class") == "guichet-implicit-submit"


def test_remove_an_item_renumbers_the_others(procedure):
    posted = {
        **GOOD,
        "enfants-1-prenom_enfant": "Zoé",
        "enfants-2-prenom_enfant": "Max",
        "action": "remove:enfants:0",
    }
    form = page(procedure, posted=posted)
    assert form.group_action.applied
    entries = form["enfants"].entries
    assert [e.form["prenom_enfant"].data for e in entries] == ["Zoé", "Max"]
    assert [e.form["prenom_enfant"].name for e in entries] == [
        "enfants-0-prenom_enfant",
        "enfants-1-prenom_enfant",
    ]


def test_min_and_max_items_are_respected(procedure, environment):
    form = page(procedure, posted=GOOD)
    document = Document(render(environment, form))
    assert not document.all("button", value="remove:enfants:0")  # min_items: 1
    refused = page(procedure, posted={**GOOD, "action": "remove:enfants:0"})
    assert refused.group_action.applied is False
    assert len(refused["enfants"].entries) == 1
    full = {
        **GOOD,
        "enfants-1-prenom_enfant": "Zoé",
        "enfants-2-prenom_enfant": "Max",
    }
    form = page(procedure, posted={**full, "action": "add:enfants"})
    assert form.group_action.applied is False and len(form["enfants"].entries) == 3
    assert not Document(render(environment, form)).all("button", value="add:enfants")
    assert form.validate()
    assert len(answers_from(form)["enfants"]) == 3


# -- files --------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_and_returned_as_is(procedure):
    pdf = upload(PDF, "attestation.pdf")
    form = page(procedure, posted={**GOOD, "piece": pdf})
    assert form.validate(), form.errors
    assert answers_from(form)["piece"] is pdf
    assert form["piece"].detected == ["application/pdf"]
    assert pdf.stream.tell() == 0  # left ready for the app to save


def test_a_png_renamed_pdf_is_refused(procedure):
    fake = upload(png_bytes(), "attestation.pdf", "application/pdf")
    form = page(procedure, posted={**GOOD, "piece": fake})
    assert not form.validate()
    assert form["piece"].errors == ["The file type is not accepted: PNG; expected PDF."]


def test_an_oversized_file_is_refused(procedure):
    big = upload(PDF + b"%" * 3000, "gros.pdf")
    form = page(procedure, posted={**GOOD, "piece": big})
    assert not form.validate()
    assert form["piece"].errors == ["The file is too large (3.1 KB): the maximum is 2 KB."]


def test_several_files_are_each_checked(procedure):
    good = upload(png_bytes(), "photo.png", "image/png")
    bad = upload(PDF, "scan.png", "image/png")
    form = page(procedure, posted={**GOOD, "photos": [good, bad]}, translations=FRENCH)
    assert not form.validate()
    assert form["photos"].errors == [
        "scan.png : Le type du fichier n'est pas accepté : PDF ; formats attendus : PNG, JPEG."
    ]
    form = page(procedure, posted={**GOOD, "photos": [good, good]})
    assert form.validate()
    assert answers_from(form)["photos"] == [good, good]


def test_an_empty_file_input_is_no_file(procedure):
    empty = FileStorage(io.BytesIO(b""), filename="", content_type="application/octet-stream")
    form = page(procedure, posted={**GOOD, "piece": empty})
    assert form.validate()
    assert "piece" not in answers_from(form)


def test_a_stored_file_is_kept_when_none_is_sent_again(procedure, environment):
    posted = {**GOOD}
    form = page(procedure, posted=posted, answers={"piece": "att-42"})
    assert form.validate()
    assert answers_from(form)["piece"] == "att-42"
    document = Document(render(environment, page(procedure, answers={"piece": "att-42"})))
    assert "already been sent" in document.by_id("piece-hint").text


# -- transitions --------------------------------------------------------------------------


def test_a_transition_form(procedure, environment):
    cls = transition_form(procedure, "clore")
    form = cls(
        formdata({"clore-motif": "autre"}), answers={"nom": "Martin"}, today=TODAY, prefix="clore-"
    )
    assert not form.validate()
    assert form["detail"].errors == ["Fill in this field."]
    form = cls(formdata({"clore-motif": "fini"}), today=TODAY, prefix="clore-")
    assert form.validate()
    assert answers_from(form) == {"motif": "fini"}
    document = Document(render(environment, form))
    assert document.label_for("clore-motif-0").text == "Fini"
    assert "data-visible-if" in document.by_id("clore-detail-field").attrs


def test_form_classes_are_built_once(procedure):
    assert page_form(procedure, "one") is page_form(procedure, "one")
    assert page_form(procedure, "one") is not page_form(procedure, "one", language="en")
    bound = page_form(procedure, "one", today=TODAY)
    assert bound(None).today == TODAY
    with pytest.raises(TypeError, match="today"):
        page_form(procedure, "one")(None)


# -- conditions in the browser --------------------------------------------------------------

INPUTS = {
    "lien": ("lien", "choice"),
    "nombre": ("nombre", "integer"),
    "activites": ("activites", "multichoice"),
    "accord": ("accord", "boolean"),
}


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        (
            "lien == 'autre'",
            {"op": "==", "args": [{"input": "lien", "type": "choice"}, {"const": "autre"}]},
        ),
        (
            "lien != 'autre' and not accord",
            {
                "op": "and",
                "args": [
                    {"op": "!=", "args": [{"input": "lien", "type": "choice"}, {"const": "autre"}]},
                    {"op": "not", "args": [{"input": "accord", "type": "boolean"}]},
                ],
            },
        ),
        (
            "'matin' in activites or nombre >= 2",
            {
                "op": "or",
                "args": [
                    {
                        "op": "in",
                        "args": [{"const": "matin"}, {"input": "activites", "type": "multichoice"}],
                    },
                    {"op": ">=", "args": [{"input": "nombre", "type": "integer"}, {"const": 2}]},
                ],
            },
        ),
        (
            "lien not in ['parent', 'autre']",
            {
                "op": "not in",
                "args": [{"input": "lien", "type": "choice"}, {"const": ["parent", "autre"]}],
            },
        ),
        (
            "1 < nombre < 3",
            {
                "op": "and",
                "args": [
                    {"op": "<", "args": [{"const": 1}, {"input": "nombre", "type": "integer"}]},
                    {"op": "<", "args": [{"input": "nombre", "type": "integer"}, {"const": 3}]},
                ],
            },
        ),
        (
            "nombre > -1",
            {"op": ">", "args": [{"input": "nombre", "type": "integer"}, {"const": -1}]},
        ),
        ("ville == 'Blois'", {"op": "==", "args": [{"const": "Tours"}, {"const": "Blois"}]}),
    ],
)
def test_simple_conditions_translate(source, tree):
    assert to_client(source, INPUTS, {"ville": "Tours"}) == tree


@pytest.mark.parametrize(
    "source",
    [
        "age(naissance) >= 18",
        "len(activites) > 1",
        "naissance < today",
        "case.state == 'recue'",
        "adresse.postcode == '41000'",
        "lien | upper == 'AUTRE'",
        "lien is none",
        "nombre + 1 > 2",
        "inconnu == 1",
        "this does not parse (",
    ],
)
def test_complex_conditions_are_left_to_the_server(source):
    assert to_client(source, INPUTS, {"naissance": "1990-01-01"}) is None


def test_fields_carry_their_condition(blank):
    wrapper = blank.by_id("precision-field")
    tree = json.loads(wrapper.get("data-visible-if"))
    assert tree == {"op": "==", "args": [{"input": "lien", "type": "choice"}, {"const": "autre"}]}
    assert "hidden" not in wrapper.attrs  # without JavaScript, the field is simply shown
    sub = json.loads(blank.by_id("enfants-0-detail_allergie-field").get("data-visible-if"))
    assert sub == {"input": "enfants-0-allergie", "type": "boolean"}
    assert "data-visible-if" not in blank.by_id("nom-field").attrs


# -- every example renders ------------------------------------------------------------------


def _examples():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name.endswith(".tests.yaml") or path.name == "guichet.yaml":
            continue
        yield path


@pytest.mark.parametrize("path", list(_examples()), ids=lambda p: p.stem)
@pytest.mark.parametrize("translations", [None, FRENCH], ids=["en", "fr"])
def test_every_page_of_every_example_renders(environment, path, translations):
    procedure, problems = load_procedure(path)
    assert problems == []
    forms = [
        page_form(procedure, p)(answers={}, today=TODAY, translations=translations)
        for p in procedure.form.pages
    ]
    forms += [
        transition_form(procedure, t)(today=TODAY, translations=translations, prefix=f"{t.id}-")
        for t in procedure.workflow.transitions
        if t.form
    ]
    for form in forms:
        document = Document(render(environment, form))
        ids = [n.get("id") for n in document.root.iter() if n.get("id")]
        assert len(ids) == len(set(ids)), "ids are unique"
        for definition in form.definitions:
            wrapper = document.by_id(f"{form._prefix}{definition.id}-field")
            if definition.label is not None:
                assert str(definition.label) in wrapper.text
        for node in document.root.iter():
            if node.tag in ("input", "select", "textarea") and node.get("id"):
                assert document.label_for(node.get("id")).text
        posted = form.__class__(formdata({}), answers={}, today=TODAY, translations=translations)
        posted.validate()
        Document(render(environment, posted))  # errors render too


# -- translations and layering ----------------------------------------------------------------

#: Calls whose string arguments are msgids, and names of dicts whose values are msgids.
_TRANSLATED_CALLS = {"gettext", "ngettext", "message", "plural", "Parsed", "Check", "N_"}
_MSGID_DICTS = {"missing", "_LOCATION_MESSAGES", "_FAMILIES"}


def _msgids() -> set[str]:
    """The English msgids written in the package's code and templates."""
    root = Path(__file__).resolve().parent.parent.parent / "renderers"
    found: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                strings = [
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                if name in _TRANSLATED_CALLS:
                    found |= set(strings)
                elif name == "Part":
                    found |= set(strings[1:2])  # Part(name, label, …)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {getattr(t, "id", None) for t in targets}
                if "required_message" in names and isinstance(node.value, ast.Constant):
                    found.add(node.value.value)
                if names & _MSGID_DICTS:
                    for value in ast.walk(node.value):
                        if isinstance(value, ast.Dict):
                            found |= {
                                v.value
                                for v in value.values
                                if isinstance(v, ast.Constant) and isinstance(v.value, str)
                            }
    for path in root.rglob("*.html"):
        text = path.read_text("utf-8")
        for singular, plural in re.findall(r'gettext\(\s*"([^"]+)"(?:,\s*"([^"]+)")?', text):
            found |= {singular, plural} - {""}
    return found


def test_every_message_has_a_french_translation():
    with catalog_path("fr").open("rb") as stream:
        po = read_po(stream, locale="fr")
    catalog = {}
    for entry in po:
        if entry.id and entry.pluralizable:
            catalog.update(zip(entry.id, entry.string, strict=True))
        elif entry.id:
            catalog[entry.id] = entry.string
    msgids = _msgids()
    assert len(msgids) > 80
    missing = sorted(m for m in msgids if m not in catalog)
    assert missing == []
    for msgid, french in catalog.items():
        placeholders = sorted(re.findall(r"%\((\w+)\)", msgid))
        assert sorted(re.findall(r"%\((\w+)\)", french)) == placeholders, msgid


def test_country_names_are_translated():
    from renderers.countries import COUNTRIES

    assert FRENCH.gettext(COUNTRIES["DE"]) == "Allemagne"
    assert ENGLISH.gettext(COUNTRIES["DE"]) == "Germany"


def test_renderers_import_neither_flask_nor_the_engine():
    code = (
        "import sys, importlib, pkgutil, renderers\n"
        "for m in pkgutil.walk_packages(renderers.__path__, 'renderers.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in "
        "('flask', 'werkzeug', 'engine', 'sqlalchemy')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_field_ids_may_be_any_word(environment):
    text = """
procedure: odd-names
version: 1
title: Noms
department: accueil
form:
  pages:
    - id: p
      title: P
      fields:
        - {id: data, type: text, label: Données, required: true}
        - {id: errors, type: integer, label: Erreurs}
        - id: meta
          type: group
          label: Méta
          fields:
            - {id: prefix, type: text, label: Préfixe}
workflow:
  states:
    - {id: a, label: A}
    - {id: b, label: B, final: true}
  transitions:
    - {id: go, from: a, to: b, by: agent}
"""
    document, problems = load(text, "odd-names.yaml")
    assert problems == []
    procedure, problems = read_procedure(document)
    assert problems == []
    cls = page_form(procedure, "p")
    posted = {"data": "x", "errors": "3", "meta-0-prefix": "M."}
    form = cls(formdata(posted), today=TODAY)
    assert form.validate(), form.errors
    answers = answers_from(form)
    assert answers == {"data": "x", "errors": 3, "meta": [{"prefix": "M."}]}
    again = cls(answers=answers, today=TODAY)
    assert answers_from(again) == answers
    assert Document(render(environment, again)).by_id("meta-0-prefix").get("value") == "M."


def test_numbers_are_shown_the_french_way(procedure):
    form = page(procedure, answers={"montant": 1200.5}, translations=FRENCH)
    assert form["montant"]._value() == "1200,5"


def test_csrf_when_the_app_turns_it_on(procedure, environment):
    from wtforms.csrf.session import SessionCSRF

    meta = {
        "csrf": True,
        "csrf_class": SessionCSRF,
        "csrf_secret": b"not-a-secret",
        "csrf_context": {},
    }
    cls = page_form(procedure, "two")
    shown = Document(render(environment, cls(answers={}, today=TODAY, meta=meta)))
    assert shown.by_id("csrf_token").get("type") == "hidden"
    form = cls(formdata({}), answers={}, today=TODAY, meta=meta, translations=FRENCH)
    assert not form.validate()
    items = form.error_items()
    assert [(i.anchor, i.message) for i in items] == [
        (None, "Votre session a expiré : rechargez la page et recommencez.")
    ]


def test_one_set_of_design_tokens_serves_both_layers():
    """Colours live in tokens.css only; the other stylesheets use its variables, and
    every variable they use is defined there."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    tokens = (root / "renderers/static/renderers/tokens.css").read_text("utf-8")
    defined = set(re.findall(r"(--[a-z0-9-]+)\s*:", tokens))
    for sheet in (
        "renderers/static/renderers/fields.css",
        "factory/static/guichet.css",
        "factory/static/console.css",
        "factory/static/case.css",
        "factory/static/inbox.css",
    ):
        css = re.sub(r"/\*.*?\*/", "", (root / sheet).read_text("utf-8"), flags=re.S)
        assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", css), f"{sheet}: a colour of its own"
        assert ":root" not in css, f"{sheet} defines tokens of its own"
        used = set(re.findall(r"var\((--[a-z0-9-]+)", css))
        assert used <= defined, f"{sheet}: {used - defined} not in tokens.css"
