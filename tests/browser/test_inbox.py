"""The inbox in a browser, as an agent uses it: tabs with counts, "M'attribuer" in one
click, the grouped toolbar by keyboard, the filters' panel and a saved filter; axe-core finds
nothing, the table uses the width at 1280 pixels and the page reflows at 320."""

from __future__ import annotations

import re

from .journeys import file_procedure, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None


def count_of(page, name: str) -> int:
    link = page.get_by_role("navigation", name="Onglets de la corbeille").get_by_role(
        "link", name=re.compile(name)
    )
    return int(link.locator(".count").inner_text())


def test_an_agent_takes_cases_from_the_inbox(examples, open_page, texts, audit):
    citizen = open_page()
    sign_in(citizen, texts)
    example = examples["acte-naissance"]
    references = [
        file_procedure(citizen, example, example.answers, texts).reference for _ in range(3)
    ]

    # with JavaScript: axe-core runs in the page (the panel is a <details>, which needs none)
    page = open_page()
    sign_in(page, texts, email="agent@demo.guichet.fr", then="/agents/")
    expect(page.get_by_role("link", name="Déposer pour un usager")).to_be_visible()
    to_handle, mine = count_of(page, "À traiter"), count_of(page, "Mes dossiers")
    assert to_handle >= 3
    audit.check(page, "the inbox")
    # the table uses the width of a 1280 px screen
    assert page.locator("table.inbox-table").bounding_box()["width"] > 1000
    row = page.get_by_role("row").filter(has_text=references[0])
    expect(row.get_by_role("cell").nth(2)).to_contain_text("Camille Citoyenne")  # the requester
    row.get_by_role("button", name=re.compile("M'attribuer")).click()
    expect(page.get_by_role("status")).to_contain_text(f"{references[0]} vous est attribuée")
    assert count_of(page, "À traiter") == to_handle - 1
    assert count_of(page, "Mes dossiers") == mine + 1

    # two more, by keyboard: their checkboxes, then the toolbar's button
    for reference in references[1:]:
        page.get_by_label(f"Sélectionner {reference}").focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name="Me les attribuer").focus()
    page.keyboard.press("Enter")
    result = texts.ui("Result of the grouped action")
    expect(page.get_by_role("heading", level=1)).to_have_text(result)
    audit.check(page, "the grouped action's result")
    page.goto("/agents/?tab=mine")
    assert count_of(page, "Mes dossiers") == mine + 3
    for reference in references:
        expect(page.get_by_role("link", name=reference)).to_be_visible()
    audit.check(page, "my cases")

    # the filters' panel opens without JavaScript; a filter is kept and applied again
    page.get_by_text("Filtres", exact=True).click()
    page.get_by_label("Référence, nom, organisme ou courriel").fill(references[1])
    page.get_by_role("button", name="Filtrer", exact=True).click()
    expect(page.get_by_role("link", name=references[1])).to_be_visible()
    expect(page.get_by_role("link", name=references[2])).to_have_count(0)
    page.get_by_label("Enregistrer ces filtres sous le nom").fill("Une demande")
    page.get_by_role("button", name="Enregistrer le filtre").click()
    audit.check(page, "the inbox filtered, its filter saved")
    page.goto("/agents/?tab=closed")
    audit.check(page, "closed requests")
    page.get_by_role("link", name="Une demande").click()
    expect(page.get_by_role("link", name=references[1])).to_be_visible()
    page.get_by_role("button", name="Supprimer Une demande").click()
    expect(page.get_by_role("link", name="Une demande")).to_have_count(0)
    audit.assert_clean()
