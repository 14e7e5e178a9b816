"""Every example procedure filled end to end in Chromium, as a person does it: through the
labels, page by page, to the receipt; the case then holds exactly the answers given.

One procedure is filled with the keyboard alone, one with JavaScript turned off.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from definitions.answers import normalise_answers

from .journeys import (
    EVERY_PAGE,
    KeyboardFiller,
    date_order,
    file_procedure,
    sign_in,
    start_button,
    text,
)

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None

SLUGS = sorted(EVERY_PAGE)


def stored(live_server, case_id: int) -> tuple[dict, dict[str, list[str]], object]:
    """A case's answers, the names of its files by field, and the case."""
    from engine.models import Attachment, Case

    with live_server.sessions()() as session:
        case = session.get(Case, case_id)
        files: dict[str, list[str]] = {}
        for attachment in session.scalars(
            sa.select(Attachment).where(Attachment.case_id == case_id)
        ):
            files.setdefault(attachment.field, []).append(attachment.filename)
        session.expunge(case)
        return case.answers, files, case


def assert_stored(live_server, example, answers: dict, case_id: int) -> object:
    """The case holds the answers given (normalised as the engine stores them), files
    included, and nothing else but the fields' defaults."""
    kept, files, case = stored(live_server, case_id)
    expected = normalise_answers(example.procedure, answers)
    for key, value in expected.items():
        field = example.procedure.fields[key]
        if field.type == "file":
            names = value if isinstance(value, list) else [value]
            assert sorted(files.get(key, [])) == sorted(names), key
            assert kept[key], key  # attachment ids
        else:
            assert kept.get(key) == value, f"{key}: stored {kept.get(key)!r}, gave {value!r}"
    extra = {key: value for key, value in kept.items() if key not in expected}
    defaults = {key: example.procedure.fields[key].default for key in extra}
    assert extra == defaults, "answers that nobody gave"
    assert not case.is_draft and case.reference
    return case


@pytest.mark.parametrize("slug", SLUGS)
def test_an_example_is_filled_end_to_end(slug, examples, open_page, live_server, texts):
    example = examples[slug]
    page = open_page()
    if example.procedure.login == "required":
        sign_in(page, texts)
    receipt = file_procedure(page, example, example.answers, texts)
    case = assert_stored(live_server, example, example.answers, receipt.case_id)
    assert receipt.reference == case.reference
    assert case.state == example.procedure.workflow.initial
    signed_in = example.procedure.login == "required"
    assert (case.owner_id is not None) == signed_in


def test_a_procedure_with_the_keyboard_alone(examples, browser, open_page, live_server, texts):
    """acte-naissance: text, e-mail, phone, radios, a date, a select, a number, an address
    and a file, from the catalogue to the receipt, with Tab, Space, Enter and the arrows."""
    example = examples["acte-naissance"]
    page = open_page()
    keys = KeyboardFiller(page, texts, example.answers, date_order(page.context))

    def from_the_catalogue():
        page.goto("/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name=texts.ui("Skip to content"))
        expect(skip).to_be_focused()
        keys.check_focus_visible()
        page.keyboard.press("Enter")
        expect(page.get_by_role("main")).to_be_focused()
        keys.press(page.get_by_role("link", name=text(example.procedure.title), exact=True))
        page.wait_for_url(f"**/demarches/{example.slug}")

    receipt = file_procedure(
        page, example, example.answers, texts, filler=keys, start=from_the_catalogue
    )
    assert keys.problems == [], "\n".join(keys.problems)
    assert_stored(live_server, example, example.answers, receipt.case_id)


def test_a_procedure_without_javascript(examples, open_page, live_server, texts):
    """inscription-periscolaire without JavaScript: every conditional field is shown (the
    server judges the conditions), the second child is added by a submit button."""
    example = examples["inscription-periscolaire"]
    page = open_page(javascript=False)
    sign_in(page, texts)
    # no script hides the CAF number, shown only for the CAF: nothing is chosen yet
    page.goto(f"/demarches/{example.slug}")
    start_button(page, texts).click()
    caf = example.procedure.fields["numero_allocataire"]
    expect(page.get_by_label(texts.label(text(caf.label)))).to_be_visible()
    receipt = file_procedure(page, example, example.answers, texts)
    assert len(example.answers["enfants"]) == 2
    assert_stored(live_server, example, example.answers, receipt.case_id)
