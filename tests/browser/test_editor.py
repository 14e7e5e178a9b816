"""The console's procedure editor, as an administrator uses it: completion from the schema,
the checker's problems under their lines as one types, a fix, the preview, the publication;
and the same page without JavaScript. axe-core checks each state of the page."""

from __future__ import annotations

import re

import sqlalchemy as sa

from engine.models import ProcedureVersion

from .journeys import sign_in_as

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None

ADMIN = "admin@demo.guichet.fr"
TITLE = "Essai de l’éditeur"


def editor_ready(page) -> None:
    page.locator("textarea[data-schema-ready=true]").wait_for(state="attached")
    expect(page.locator(".cm-editor .cm-content")).to_be_visible()


def go_to_line_end(page, containing: str) -> None:
    """Put the cursor at the end of the first line holding ``containing``, by keyboard."""
    lines = page.evaluate("() => window.guichetEditor.state.doc.toJSON()")
    number = next(i for i, line in enumerate(lines) if containing in line)
    page.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    for _ in range(number):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("End")


def accept(page) -> None:
    """Enter accepts the completion selected, once the list has been shown long enough
    (CodeMirror ignores keys in its first 75 ms, against accidents)."""
    expect(page.locator(".cm-tooltip-autocomplete [aria-selected=true]")).to_be_visible()
    page.wait_for_timeout(150)
    page.keyboard.press("Enter")


def doc(page) -> str:
    return page.evaluate("() => window.guichetEditor.state.doc.toString()")


def test_a_procedure_is_written_checked_previewed_and_published(
    open_page, texts, audit, live_server
):
    page = open_page()
    sign_in_as(page, texts, ADMIN)
    page.goto("/console/procedures")
    page.get_by_role("link", name=texts.ui("New procedure")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("New procedure"))
    editor_ready(page)
    slug = re.search(r"^procedure: (\S+)$", doc(page), re.M).group(1)
    status = page.locator("#editor-status")
    expect(status).to_have_text(texts.ui("No problem found"))
    # the textarea is replaced, its label names the editor
    expect(page.locator("textarea#source")).to_be_hidden()
    expect(page.get_by_role("textbox", name=texts.ui("The procedure, in YAML"))).to_be_visible()
    audit.check(page, "a new procedure in the editor")

    go_to_line_end(page, "title: Nouvelle démarche")
    page.keyboard.press("Shift+Home")
    page.keyboard.type(f"title: {TITLE}")

    # a key, completed from the schema: only the keys a text field may still take
    go_to_line_end(page, "autocomplete: family-name")
    page.keyboard.press("Enter")
    page.keyboard.type("hin")
    options = page.locator(".cm-tooltip-autocomplete [role=option]")
    expect(options.first).to_contain_text("hint")
    assert "label" not in options.all_inner_texts()  # already written in this field
    audit.check(page, "the editor proposing keys")
    accept(page)
    page.keyboard.type("Tel qu’il figure sur vos papiers")
    assert "\n          hint: Tel qu’il figure sur vos papiers\n" in doc(page)

    # a value completed too: the field types of 'type:'
    go_to_line_end(page, "type: email")
    for _ in range(len("email")):
        page.keyboard.press("Backspace")
    page.keyboard.type("ema")
    expect(page.locator(".cm-tooltip-autocomplete [role=option]").first).to_contain_text("email")
    accept(page)
    assert "\n          type: email\n" in doc(page), doc(page)[300:900]

    # hover help: what the schema says of a key
    page.locator(".cm-line", has_text="autocomplete: family-name").locator(
        "text=autocomplete"
    ).hover()
    expect(page.locator(".cm-schema-help")).to_contain_text("autocomplete")

    # a wrong 'to:' is found as one pauses, and shown under its line
    go_to_line_end(page, "to: traitee")
    page.keyboard.type("s")
    problem = page.locator(".cm-problem")
    expect(problem).to_contain_text("traitees")
    expect(status).to_have_text(texts.ui("%(num)d problem", num=1).replace("%(num)d", "1"))
    above = problem.evaluate("e => e.previousElementSibling.textContent")
    assert above.strip() == "to: traitees"
    audit.check(page, "the editor with a problem under its line")
    page.keyboard.press("Backspace")
    expect(problem).to_have_count(0)
    expect(status).to_have_text(texts.ui("No problem found"))

    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    expect(page.get_by_role("heading", name=texts.ui("Preview of version %(version)d", version=1)))
    audit.check(page, "a new procedure previewed")
    page.get_by_role("button", name=texts.ui("Publish version %(version)d", version=1)).click()
    expect(page.get_by_role("status")).to_contain_text(
        texts.ui("Version %(version)d is published.", version=1)
    )
    assert page.url.endswith(f"/console/procedures/{slug}")
    with live_server.sessions()() as session:
        source = session.scalars(
            sa.select(ProcedureVersion.source).where(ProcedureVersion.slug == slug)
        ).one()
    assert f"title: {TITLE}\n" in source
    assert "hint: Tel qu’il figure sur vos papiers" in source
    audit.assert_clean()


def test_problems_link_to_their_lines_in_the_editor(open_page, texts, audit):
    page = open_page()
    sign_in_as(page, texts, ADMIN)
    page.goto("/console/procedures/acte-naissance/nouvelle-version")
    editor_ready(page)
    go_to_line_end(page, "type: text")
    page.keyboard.type("e")  # "texte": no such field type
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    expect(page.get_by_role("alert")).to_be_visible()
    editor_ready(page)
    audit.check(page, "a new version with problems, in the editor")
    link = page.get_by_role("alert").get_by_role("link").first
    number = int(link.get_attribute("data-line"))
    link.click()
    expect(page.locator(".cm-activeLine")).to_contain_text("type: texte")
    assert page.evaluate(
        "() => { const s = window.guichetEditor.state;"
        " return s.doc.lineAt(s.selection.main.head).number; }"
    ) == number
    expect(page.locator(".cm-content")).to_be_focused()
    audit.assert_clean()


def test_without_javascript_the_textarea_and_the_listing_work(open_page, texts):
    """(No script runs on this page: neither axe-core nor a style query; the same page with
    its problems is audited in the editor above.)"""
    page = open_page(javascript=False)
    sign_in_as(page, texts, ADMIN)
    page.goto("/console/procedures/acte-naissance/nouvelle-version")
    box = page.get_by_label(texts.ui("The procedure, in YAML"))
    expect(box).to_be_visible()
    assert box.get_attribute("wrap") == "off" and box.get_attribute("class") == "code-source"
    source = box.input_value().replace("type: text\n", "type: texte\n", 1)
    box.fill(source)
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    listed = page.locator(".source-listing li")
    assert listed.count() <= 5  # the lines around the one problem, not the whole file
    alert.get_by_role("link").first.click()
    number = source[: source.index("type: texte")].count("\n") + 1
    assert page.url.endswith(f"#line-{number}")
    expect(page.locator(f"#line-{number}")).to_contain_text("type: texte")
