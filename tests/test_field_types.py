"""Field types as one registry: the definition classes, their widgets, the published schema,
and a plug-in type installed from ``tests/fixtures/plugin_fieldtype``."""

from __future__ import annotations

import importlib
import json
import re
import sys
from importlib.metadata import EntryPoint
from types import MappingProxyType

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from definitions import fieldtypes, schemas
from definitions.builtin_fields import BUILTIN_TYPES
from definitions.folders import check_paths
from definitions.model import Field, Text
from engine.models import Case
from factory import create_app
from factory.cli import main
from renderers import UnknownFieldType
from renderers import registry as widgets
from renderers.fields import BUILTIN_TYPES as BUILTIN_WIDGETS

from .conftest import EXAMPLE_ENVIRON, EXAMPLES, FIXTURES, ROOT
from .factory.portal_helpers import csrf, errors, make_app

PLUGIN = FIXTURES / "plugin_fieldtype"
PROCEDURES = PLUGIN / "procedures"
SITE = EXAMPLES / "guichet.yaml"


@pytest.fixture
def plugin():
    """The ``guichet-colour`` distribution made visible to importlib.metadata, as if it
    were installed; its type is removed from the registry afterwards."""
    sys.path.insert(0, str(PLUGIN))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(PLUGIN))
        importlib.invalidate_caches()
        fieldtypes.registry.unregister("colour")
        for name in [n for n in sys.modules if n.split(".")[0] == "guichet_colour"]:
            del sys.modules[name]


def test_definitions_and_widgets_have_the_same_type_names():
    assert [cls.name for cls in BUILTIN_TYPES] == list(fieldtypes.TYPES)
    assert list(fieldtypes.registry) == list(fieldtypes.TYPES)
    assert {cls.type for cls in BUILTIN_WIDGETS} == set(fieldtypes.registry)


@pytest.mark.parametrize("kind", ["procedure", "workflow"])
def test_the_shipped_schemas_are_the_ones_the_registry_writes(kind):
    """Run ``guichet schema KIND -o definitions/schemas/KIND.schema.json`` after changing
    a built-in type."""
    shipped = (ROOT / "definitions" / "schemas" / f"{kind}.schema.json").read_text("utf-8")
    document = json.loads(shipped)
    for key in [k for k in document["$defs"] if k.startswith("field_")]:
        if key not in ("field_common", "field_id"):
            document["$defs"][key] = {}
    schemas.with_field_types(document, fieldtypes.Registry(BUILTIN_TYPES))
    assert json.dumps(document, indent=2, ensure_ascii=False) + "\n" == shipped


class ShadowTextarea(fieldtypes.FieldType):
    """A plug-in type that takes a built-in name."""

    name = "textarea"


def test_a_type_name_used_twice_stops_the_start_naming_both():
    point = EntryPoint("texte", f"{__name__}:ShadowTextarea", "guichet.field_types")
    registry = fieldtypes.Registry(BUILTIN_TYPES)
    with pytest.raises(fieldtypes.FieldTypeError) as caught:
        registry.load_entry_points([point])
    assert str(caught.value) == (
        "two field types are named 'textarea': definitions.builtin_fields:TextareaField"
        f" and {__name__}:ShadowTextarea (entry point 'texte')"
    )
    # the same class loaded twice (the app and the command line both load) is no clash
    registry.load_entry_points([EntryPoint("t", "definitions.builtin_fields:TextField", "g")])
    assert type(registry["text"]).__name__ == "TextField"
    with pytest.raises(fieldtypes.FieldTypeError, match="is not a FieldType"):
        registry.load_entry_points([EntryPoint("bad", "definitions.model:Field", "g")])


def test_a_plug_in_setting_keeps_the_meaning_the_model_gives_its_name():
    class Rating(fieldtypes.FieldType):
        name = "rating"
        settings = {"max": {"type": "integer"}, "options": {"type": "array"}}

    registry = fieldtypes.Registry(BUILTIN_TYPES)
    with pytest.raises(fieldtypes.FieldTypeError, match="the setting 'options' of the field type"):
        registry.register(Rating)

    class Stars(Rating):
        settings = {"max": {"type": "integer"}, "stars": {"type": "array"}}

    registry.register(Stars)  # ``max`` as an integer field has it
    assert "rating" in registry


def test_the_cli_stops_on_a_duplicate_plug_in(plugin, example_environ):
    class Again(fieldtypes.FieldType):
        name = "colour"

    fieldtypes.registry.register(Again)  # another package took the name first
    result = CliRunner().invoke(main, ["check", str(PROCEDURES), "--site", str(SITE)])
    assert result.exit_code == 1
    assert "two field types are named 'colour'" in result.output
    assert "guichet_colour:ColourField (entry point 'colour')" in result.output


class NoWidget(fieldtypes.FieldType):
    name = "signature"


class BrokenWidget(fieldtypes.FieldType):
    name = "parcel"
    widget = "guichet_parcel.widget:ParcelWidget"


@pytest.mark.parametrize(
    "cls, message",
    [
        (NoWidget, "no field-type class renders 'signature'"),
        (
            BrokenWidget,
            "the widget 'guichet_parcel.widget:ParcelWidget' of the field type "
            "'parcel' cannot be loaded: No module named 'guichet_parcel'",
        ),
    ],
)
def test_a_plug_in_type_without_a_working_widget_stops_the_start(cls, message):
    fieldtypes.registry.register(cls)
    try:
        with pytest.raises((fieldtypes.FieldTypeError, UnknownFieldType), match=re.escape(message)):
            widgets.load_entry_points()
        with pytest.raises((fieldtypes.FieldTypeError, UnknownFieldType)):
            create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    finally:
        fieldtypes.registry.unregister(cls.name)
    widgets.load_entry_points()  # once it is gone, every type has its widget again


def field(kind: str, **settings) -> Field:
    return Field(id="f", type=kind, label=Text(MappingProxyType({"fr": "F"})), **settings)


def test_values_read_for_people():
    yes_no = {"Yes": "Oui", "No": "Non"}.get
    options = MappingProxyType({"a": Text(MappingProxyType({"fr": "Un", "en": "One"}))})
    assert fieldtypes.display(field("date"), "2024-03-01") == "1 mars 2024"
    assert fieldtypes.display(field("date"), "2024-03-01", language="en") == "March 1, 2024"
    assert fieldtypes.display(field("boolean"), True, gettext=yes_no) == "Oui"
    assert fieldtypes.display(field("boolean"), False) == "No"
    assert fieldtypes.display(field("choice", options=options), "a", language="en") == "One"
    assert fieldtypes.display(field("multichoice", options=options), ["a", "z"]) == "Un, z"
    assert fieldtypes.display(field("location"), {"lat": 47.5, "lon": 1.25}) == "47,5, 1,25"
    assert fieldtypes.display(field("group"), [{}, {}]) == "2 items"
    address = {"street": "1 rue Haute", "postcode": "41000", "city": "Blois"}
    assert fieldtypes.display(field("address"), address) == "1 rue Haute, 41000 Blois"
    abroad = {**address, "country": "BE"}
    assert fieldtypes.display(field("address"), abroad, language="en") == (
        "1 rue Haute, 41000 Blois, Belgium"
    )
    assert fieldtypes.display(field("file"), ["x"], attachments={"x": "a.pdf"}) == "a.pdf"
    unit = Text(MappingProxyType({"fr": "m²"}))
    assert fieldtypes.display(field("decimal", unit=unit), 12.5) == "12,5\u00a0m²"
    assert fieldtypes.display(field("decimal", unit=unit), 12.5, language="en") == "12.5\u00a0m²"
    euros = Text(MappingProxyType({"fr": "€"}))
    assert fieldtypes.display(field("decimal", unit=euros), 25000.5) == "25\u202f000,50\u00a0€"
    assert fieldtypes.display(field("integer", unit=euros), 20000) == "20\u202f000\u00a0€"
    assert fieldtypes.display(field("integer"), 1500) == "1\u202f500"
    assert fieldtypes.display(field("phone"), "+33612345678") == "06 12 34 56 78"


def test_without_the_plug_in_its_type_is_unknown():
    result = check_paths([PROCEDURES], SITE, environ=EXAMPLE_ENVIRON)
    assert [p.message for p in result.problems] == ["unknown field type 'colour'"]
    assert result.procedures == []


def test_the_checker_and_the_schema_know_the_plug_in(plugin, example_environ, tmp_path):
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(PROCEDURES), "--site", str(SITE)])
    assert checked.exit_code == 0, checked.output
    printed = json.loads(runner.invoke(main, ["schema", "procedure"]).output)
    field_schema = printed["$defs"]["field"]
    assert "colour" in field_schema["properties"]["type"]["enum"]
    assert printed["$defs"]["field_colour"]["properties"]["palette"]["minItems"] == 1
    # the type's settings are checked: by the schema, then by the type itself
    source = (PROCEDURES / "pavoisement.yaml").read_text("utf-8")
    assert problems(tmp_path, source.replace('"#FF0000"', '"rouge"')) == [
        "the text 'rouge' is not text matching ^#[0-9a-fA-F]{6}$"
    ]
    assert problems(
        tmp_path, source.replace("palette:", 'default: "#000000"\n          palette:')
    ) == [
        "the default '#000000' is not in the palette",
        "the default (the text '#000000') does not fit a colour field",
    ]


def problems(folder, source: str) -> list[str]:
    path = folder / "procedure.yaml"
    path.write_text(source, "utf-8")
    return [p.message for p in check_paths([path], SITE, environ=EXAMPLE_ENVIRON).problems]


def test_a_plug_in_type_is_filed_through_the_portal(plugin, tmp_path, example_environ):
    app = make_app(
        tmp_path, {"a@example.org": ("citizen", ())}, PROCEDURES=str(PROCEDURES), SITE=str(SITE)
    )
    client = app.test_client()
    token = csrf(client, "/demarches/pavoisement")
    started = client.post("/demarches/pavoisement/commencer", data={"csrf_token": token})
    assert started.status_code == 302
    url = (
        client.get(started.headers["Location"]).headers.get("Location")
        or started.headers["Location"]
    )
    page = client.get(url).get_data(as_text=True)
    assert 'name="couleur"' in page and "#1e90ff" in page  # the widget's hint

    def post(colour: str):
        return client.post(
            url,
            data={
                "csrf_token": csrf(client, url),
                "nom": "Durand",
                "couleur": colour,
                "nav": "next",
            },
        )

    # the widget's check (a plug-in's own msgid, untranslated)
    assert errors(post("bleu"))[1:] == ["Couleur du drapeau : Enter a colour such as #1e90ff."]
    kept = post("#123456")  # a colour, though not of the palette: the page keeps it
    assert kept.status_code == 302
    review = kept.headers["Location"]
    case_id = int(review.split("/")[-2])

    def submit(key: str):
        return client.post(
            f"/brouillons/{case_id}/envoi",
            data={"csrf_token": csrf(client, review), "submission": key},
        )

    refused = submit("k-1")  # the type's value schema refuses it when the case is filed
    assert refused.status_code == 422
    assert re.search(
        r'#couleur">Couleur du drapeau\s:\sréponse manquante ou non valide</a>',
        refused.get_data(as_text=True),
    )
    with app.extensions["guichet"].sessions() as session:
        assert session.get(Case, case_id).reference is None
    accepted = post(" #1E90FF ")
    assert accepted.status_code == 302, errors(accepted)
    assert accepted.headers["Location"] == review
    submitted = submit("k-2")
    assert submitted.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        case = session.get(Case, case_id)
        assert case.reference and case.answers["couleur"] == "#1e90ff"
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    # the registry's display, as the review page and the case page will use it
    procedure = check_paths([PROCEDURES], SITE, environ=EXAMPLE_ENVIRON).procedures[0]
    assert fieldtypes.display(procedure.fields["couleur"], "#1e90ff") == "couleur #1E90FF"
    assert widgets["colour"].__name__ == "ColourWidget"
