"""Filling the example procedures in a browser as a person does: through labels and roles.

A :class:`Filler` reads a procedure's definition (labels, types, options) and a set of valid
answers (the ``answers:`` of the example's tests file), and fills each page by finding
every input by its label (``get_by_label``) or its fieldset (``get_by_role("group")``),
never by a CSS selector. :class:`KeyboardFiller` does the same with the keyboard alone:
Tab to reach a control, then typing, Space, Enter and the arrow keys.

Nothing here imports Playwright at import time: without it the tests are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from definitions.folders import check_paths, tests_file
from definitions.model import Field, Page, Procedure
from definitions.scenarios import resolve_dates

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

#: A form page, or the review page (``verification``), of a draft.
DRAFT_URL = re.compile(r"/brouillons/(?P<case>\d+)/(?P<page>[^/?#]+)")
RECEIPT_URL = re.compile(r"/demandes/(?P<case>\d+)/recu")
REVIEW = "verification"
#: The demo citizen (factory/accounts.py).
CITIZEN = ("citoyen@demo.guichet.fr", "guichet-demo")

TEXT_TYPES = ("text", "textarea", "email", "phone", "siret", "iban", "integer", "decimal")


# -- the examples and their answers -------------------------------------------------------------


@dataclass
class Example:
    slug: str
    procedure: Procedure
    answers: dict[str, Any]  # the tests file's valid answers, relative dates resolved

    @property
    def pages(self) -> dict[str, Page]:
        return {page.id: page for page in self.procedure.form.pages}

    def with_changes(self, changes: dict[str, Any], today: dt.date) -> dict[str, Any]:
        """The answers with ``changes`` (a None value removes an answer)."""
        answers = dict(self.answers) | resolve_dates(_plain(changes), today)
        return {key: value for key, value in answers.items() if value is not None}


def _plain(value: Any) -> Any:
    """YAML dates as ISO texts, like the tests file's relative dates once resolved."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def load_examples(today: dt.date) -> dict[str, Example]:
    checked = check_paths(
        [EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON, with_tests=False
    )
    assert checked.problems == [], checked.problems
    examples = {}
    for procedure in checked.procedures:
        path = tests_file(EXAMPLES / f"{procedure.slug}.yaml")
        answers = yaml.safe_load(path.read_text("utf-8"))["answers"]
        examples[procedure.slug] = Example(
            procedure.slug, procedure, resolve_dates(_plain(answers), today)
        )
    return examples


#: Answers that differ from the tests file's so that, together, the journeys show every page
#: of every example (pages with a ``when``) and most fields shown on a condition.
EVERY_PAGE = {
    "acte-naissance": {
        "lien": "tiers",
        "nom_titulaire": "Martin",
        "prenoms_titulaire": "Paul",
        "usage": "autre",
        "usage_precision": "Dossier de succession chez le notaire",
    },
    "aide-velo-electrique": {},
    "inscription-periscolaire": {
        "regime": "msa",
        "numero_allocataire": None,
        "justificatif_quotient": "quotient-familial.pdf",
        "activites": ["accueil_matin", "restauration"],
        "regime_alimentaire": "sans_porc",
        "allergie": True,
        "precision_allergie": "Inès : allergie à l'arachide (PAI signé en septembre).",
    },
    "occupation-domaine-public": {
        "type_occupation": "terrasse_fermee",
        "numero_autorisation_urbanisme": "DP 041 269 25 B0012",
        "commentaire": "Terrasse couverte démontable, installée du printemps à l'automne.",
    },
    "signalement-voirie": {
        "nature": "autre",
        "nature_autre": "Plaque d'égout descellée",
        "danger_immediat": True,
        "danger_balise": "non_balise",
    },
    "subvention-association": {
        "type_subvention": "projet",
        "montant_demande": 24000,
        "intitule_projet": "Fête de la Loire 2026",
        "description_projet": "Une journée de découverte des bords de Loire, avec des "
        "balades commentées et des ateliers pour les enfants.",
        "date_projet": "today+45d",
        "public_vise": ["enfants", "familles"],
        "cout_projet": 31500,
        "premiere_demande": True,
        "montant_n_1": None,
        "statuts": "statuts.pdf",
        "rapport_activite": None,
    },
}


# -- files -------------------------------------------------------------------------------------

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a3e9e1a90000000049454e44ae426082"
)


def upload(name: str) -> dict:
    """A small file of the type its name says (the app reads the type from the content)."""
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix in ("jpg", "jpeg"):
        return {"name": name, "mimeType": "image/jpeg", "buffer": _JPEG}
    if suffix == "png":
        return {"name": name, "mimeType": "image/png", "buffer": _PNG}
    return {"name": name, "mimeType": "application/pdf", "buffer": _PDF}


# -- filling -----------------------------------------------------------------------------------


def text(value) -> str:
    """A definition's text in French."""
    return value.get("fr") if value is not None else ""


def typed(field: Field, value: Any) -> str:
    """What a person types: decimals with a comma, as in French."""
    if field.type == "decimal" and isinstance(value, int | float):
        return f"{value}".replace(".", ",")
    return str(value)


@dataclass
class Filler:
    """Fills pages with Playwright's ordinary actions (click, fill, check, select)."""

    page: Any
    texts: Any
    answers: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    # -- what a person does with a control (KeyboardFiller does it with keys only) --

    def type_text(self, control, value: str) -> None:
        control.fill(value)

    def type_date(self, control, iso: str) -> None:
        control.fill(iso)

    def set_checked(self, control, checked: bool) -> None:
        control.set_checked(checked)

    def choose_radio(self, group, option) -> None:
        option.check()

    def choose_option(self, select, label: str) -> None:
        select.select_option(label=label)

    def upload(self, control, files: list[dict]) -> None:
        control.set_input_files(files)

    def press(self, button) -> None:
        button.click()

    # -- fields, by type --

    def label(self, value: str):
        return self.texts.label(value)

    def fill_page(self, page: Page) -> None:
        for item in page.fields:
            if item.id in self.answers:
                self.fill(self.page, item, self.answers[item.id])

    def fill(self, scope, item: Field, value: Any) -> None:
        label = self.label(text(item.label))
        kind = item.type
        if kind in TEXT_TYPES:
            control = scope.get_by_label(label)
            if control.input_value() != typed(item, value):
                self.type_text(control, typed(item, value))
        elif kind == "date":
            self.type_date(scope.get_by_label(label), value)
        elif kind == "choice":  # radios in a fieldset, or a select
            group = scope.get_by_role("group", name=label)
            if group.count():
                option = group.get_by_role("radio", name=text(item.options[value]), exact=True)
                if not option.is_checked():
                    self.choose_radio(group, option)
            else:
                self.choose_option(scope.get_by_label(label), text(item.options[value]))
        elif kind == "multichoice":
            group = scope.get_by_role("group", name=label)
            for key, option in item.options.items():
                box = group.get_by_role("checkbox", name=text(option), exact=True)
                if box.is_checked() != (key in value):
                    self.set_checked(box, key in value)
        elif kind == "boolean":
            box = scope.get_by_role("checkbox", name=label)
            if box.is_checked() != bool(value):
                self.set_checked(box, bool(value))
        elif kind == "file":
            names = value if isinstance(value, list) else [value]
            self.upload(scope.get_by_label(label), [upload(name) for name in names])
        elif kind == "address":
            self.fill_address(scope.get_by_role("group", name=label), value)
        elif kind == "location":
            group = scope.get_by_role("group", name=label)
            for part, msgid in (("lat", "Latitude"), ("lon", "Longitude")):
                control = group.get_by_label(self.label(self.texts.form(msgid)))
                self.type_text(control, f"{value[part]}".replace(".", ","))
        elif kind == "group":
            self.fill_group(item, value)
        elif kind != "info":
            raise AssertionError(f"no way to fill a {kind} field ({item.id})")

    def fill_address(self, group, value: dict) -> None:
        for part, msgid in (
            ("street", "Number and street"),
            ("postcode", "Postcode"),
            ("city", "Town or city"),
        ):
            control = group.get_by_label(self.label(self.texts.form(msgid)))
            if control.input_value() != value[part]:
                self.type_text(control, value[part])
        if value.get("country", "FR") != "FR":
            from renderers.countries import COUNTRIES

            self.choose_option(
                group.get_by_label(self.label(self.texts.form("Country"))),
                self.texts.form(COUNTRIES[value["country"]]),
            )

    def fill_group(self, item: Field, entries: list[dict]) -> None:
        from playwright.sync_api import expect

        item_label = text(item.item_label) or self.texts.form("Item")
        for index, entry in enumerate(entries):
            legend = self.texts.form("%(item)s %(num)d", item=item_label, num=index + 1)
            box = self.page.get_by_role("group", name=legend, exact=True)
            if box.count() == 0:  # the add button is a submit button: the page comes back
                self.press(
                    self.page.get_by_role(
                        "button", name=self.texts.form("Add: %(item)s", item=legend), exact=True
                    )
                )
                expect(box).to_be_visible()
            for sub in item.fields:
                if sub.id in entry:
                    self.fill(box, sub, entry[sub.id])


class KeyboardFiller(Filler):
    """The keyboard alone: Tab to reach each control, then keys. Checks on the way that
    every control is reached by Tab and that the focus shows."""

    #: Tab presses allowed to reach the next control.
    MAX_TABS = 60

    def __init__(self, page, texts, answers, date_order: str):
        super().__init__(page, texts, answers)
        self.date_order = date_order  # "dmy" or "mdy": how this browser's date input reads

    def focused(self, control) -> bool:
        return control.evaluate(
            "element => element === document.activeElement"
            " || element.contains(document.activeElement)"
        )

    def tab_to(self, control) -> None:
        for _ in range(self.MAX_TABS):
            if self.focused(control):
                self.check_focus_visible()
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(
            f"{self.page.url}: Tab does not reach {control} in {self.MAX_TABS} presses"
        )

    def check_focus_visible(self) -> None:
        visible = self.page.evaluate("""() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            return outline || (style.boxShadow && style.boxShadow !== 'none');
        }""")
        if not visible:
            where = self.page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
            self.problems.append(f"{self.page.url}: no visible focus on {where}")

    def type_text(self, control, value: str) -> None:
        self.tab_to(control)
        if control.input_value():  # replace what is there (a default, a prefilled value)
            self.page.keyboard.press("Control+A")
        self.page.keyboard.type(value)

    def type_date(self, control, iso: str) -> None:
        year, month, day = iso.split("-")
        self.tab_to(control)
        digits = {"dmy": day + month + year, "mdy": month + day + year}[self.date_order]
        self.page.keyboard.type(digits)
        assert control.input_value() == iso, f"typed {digits}, read {control.input_value()}"

    def set_checked(self, control, checked: bool) -> None:
        self.tab_to(control)
        self.page.keyboard.press("Space")
        assert control.is_checked() == checked

    def choose_radio(self, group, option) -> None:
        self.tab_to(group)  # Tab stops once in a group of radios, then the arrows move
        if self.focused(option):
            self.page.keyboard.press("Space")
        for _ in range(group.get_by_role("radio").count()):
            if option.is_checked():
                return
            self.page.keyboard.press("ArrowDown")
        assert option.is_checked(), f"the arrow keys do not reach {option}"

    def choose_option(self, select, label: str) -> None:
        self.tab_to(select)
        chosen = "element => element.selectedOptions[0] && element.selectedOptions[0].label"
        for _ in range(select.locator("option").count() + 1):
            if select.evaluate(chosen) == label:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"the arrow keys do not reach the option {label!r}")

    def upload(self, control, files: list[dict]) -> None:
        self.tab_to(control)
        with self.page.expect_file_chooser() as chooser:
            self.page.keyboard.press("Space")
        chooser.value.set_files(files)

    def press(self, button) -> None:
        """Enter on a link or a submit button: wait for the page it opens."""
        self.tab_to(button)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def date_order(browser_context) -> str:
    """How the browser's date input reads what is typed: "dmy" (French) or "mdy"."""
    page = browser_context.new_page()
    try:
        page.set_content('<input type="date" aria-label="d">')
        page.get_by_label("d").focus()
        page.keyboard.type("01022003")
        return "dmy" if page.get_by_label("d").input_value() == "2003-02-01" else "mdy"
    finally:
        page.close()


# -- a whole procedure -------------------------------------------------------------------------


@dataclass
class Receipt:
    case_id: int
    reference: str
    pages: list[str]  # the ids of the form pages shown, in order


def sign_in(
    page, texts, filler: Filler | None = None, *, then: str = "/", email: str | None = None
) -> None:
    """Sign in as the demo citizen, or another demo account (through the form's labels)."""
    filler = filler or Filler(page, texts, {})
    page.goto(f"/connexion?next={then}")
    required = texts.ui("(required)")
    email_input = page.get_by_label(texts.label(texts.ui("E-mail address"), required_text=required))
    password = page.get_by_label(texts.label(texts.ui("Password"), required_text=required))
    filler.type_text(email_input, email or CITIZEN[0])
    filler.type_text(password, CITIZEN[1])
    filler.press(
        page.get_by_role("main").get_by_role("button", name=texts.ui("Sign in"), exact=True)
    )
    page.wait_for_url(lambda url: "/connexion" not in url)


def alert_text(page) -> str | None:
    alerts = page.get_by_role("alert")
    return alerts.first.inner_text() if alerts.count() else None


def start_button(page, texts):
    """The button that starts a new draft: "Start", or "Start a new request" when the
    procedure's page offers to resume a draft of it."""
    names = (re.escape(texts.ui("Start")), re.escape(texts.ui("Start a new request")))
    return page.get_by_role("button", name=re.compile(f"^({'|'.join(names)})$"))


def file_procedure(
    page,
    example: Example,
    answers: dict[str, Any],
    texts,
    *,
    filler: Filler | None = None,
    check: Callable[[Any, str], None] | None = None,
    submit_empty: bool = False,
    start: Callable[[], None] | None = None,
    send: bool = True,
) -> Receipt:
    """From the procedure's page to the receipt, page by page.

    ``check(page, name)`` is called on every page shown (axe-core); with ``submit_empty``,
    each form page is first sent as it comes, to show it with its errors. ``start`` opens
    the procedure's page (the default: go to its address). Without ``send``, stop on the
    review page (the receipt then has no reference)."""
    from playwright.sync_api import expect

    filler = filler or Filler(page, texts, answers)
    check = check or (lambda page, name: None)
    slug = example.slug
    if start is None:
        page.goto(f"/demarches/{slug}")
    else:
        start()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(example.procedure.title))
    check(page, f"{slug}: the procedure's page")
    filler.press(start_button(page, texts))
    shown: list[str] = []
    while True:
        page.wait_for_load_state()
        match = DRAFT_URL.search(page.url)
        assert match, f"{slug}: a form page was expected, not {page.url}"
        if match["page"] == REVIEW:
            break
        definition = example.pages[match["page"]]
        assert match["page"] not in shown, f"{slug}: page {match['page']} comes back"
        shown.append(match["page"])
        expect(page.get_by_role("heading", level=1)).to_have_text(text(definition.title))
        name = f"{slug}: page {len(shown)} ({match['page']})"
        check(page, f"{name}, as it comes")
        if submit_empty:
            send_as_it_comes(page, filler, texts, check, name)
        filler.fill_page(definition)
        filler.press(page.get_by_role("button", name=texts.ui("Continue"), exact=True))
        page.wait_for_load_state()
        assert alert_text(page) is None, f"{name}: {alert_text(page)}"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        texts.ui("Check your answers before sending")
    )
    for page_id in shown:
        expect(
            page.get_by_role(
                "heading", level=2, name=text(example.pages[page_id].title), exact=True
            )
        ).to_be_visible()
    check(page, f"{slug}: review")
    if not send:
        return Receipt(int(match["case"]), "", shown)
    filler.press(page.get_by_role("button", name=texts.ui("Send my request"), exact=True))
    page.wait_for_url(RECEIPT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("Your request is sent"))
    check(page, f"{slug}: receipt")
    reference = page.locator(".reference").inner_text().strip()
    return Receipt(int(RECEIPT_URL.search(page.url)["case"]), reference, shown)


def send_as_it_comes(page, filler: Filler, texts, check, name: str) -> None:
    """Send a form page without filling it: it comes back with its errors, the focus on
    their summary (error-summary.js); unless none of its fields is required: then come
    back to it."""
    url = page.url
    filler.press(page.get_by_role("button", name=texts.ui("Continue"), exact=True))
    page.wait_for_load_state()
    if page.url != url:  # nothing required on this page: it went on
        page.goto(url)
        return
    from playwright.sync_api import expect

    summary = page.get_by_role("alert")
    assert summary.count() == 1, f"{name}: sent empty, no error summary"
    expect(summary).to_be_focused()
    assert page.title().startswith(texts.ui("Error:")), f"{name}: {page.title()!r}"
    check(page, f"{name}, sent empty (errors)")


def sign_in_as(page, texts, email: str) -> None:
    """A member of staff, into the back office (every demo account has the demo citizen's
    password)."""
    sign_in(page, texts, email=email, then="/agents/")


def editor_text(page) -> str:
    """The text of the console's code editor."""
    return page.evaluate("() => window.guichetEditor.state.doc.toString()")


def set_editor_text(page, text: str) -> None:
    """Replace the console editor's text through CodeMirror's own API (the textarea it
    enhances is hidden; the editor writes its text back into it on submit)."""
    page.evaluate(
        """text => {
            const view = window.guichetEditor;
            view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text}});
        }""",
        text,
    )


#: The association the grant's prefill test double knows, by SIRET.
ASSOCIATION_SIRET = "44306184100047"


def prefill_sources() -> dict:
    """The test doubles of the example site's prefill sources: an association by its
    SIRET, and two addresses of the town."""
    from connectors.prefill.testing import StaticPrefillSource

    address = {"street": "12 Rue des Lilas", "postcode": "41000", "city": "Valbois-sur-Loire"}
    return {
        "entreprises": StaticPrefillSource(
            "entreprises",
            {
                "answers": {
                    ASSOCIATION_SIRET: {"name": "Les Amis du vieux Valbois", "address": address}
                }
            },
        ),
        "adresses": StaticPrefillSource(
            "adresses",
            {
                "addresses": [
                    {
                        "label": "12 Rue des Lilas 41000 Valbois-sur-Loire",
                        **address,
                        "lat": 47.5861,
                        "lon": 1.3345,
                    },
                    {
                        "label": "12 Rue des Lys 41000 Valbois-sur-Loire",
                        "street": "12 Rue des Lys",
                        "postcode": "41000",
                        "city": "Valbois-sur-Loire",
                        "lat": 47.5902,
                        "lon": 1.3301,
                    },
                ]
            },
        ),
    }
