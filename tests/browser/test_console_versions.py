"""The console's version pages in Chromium: comparing, testing, a migration plan's dry run;
axe-core finds no violation on any of them (and each reflows at 320 pixels).

Screenshots at 1280 and 375 pixels go to GUICHET_SCREENSHOTS when it names a folder."""

from __future__ import annotations

import os
from pathlib import Path

from .journeys import editor_text, file_procedure, set_editor_text, sign_in, sign_in_as

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None

#: The newer version keeps requests a day longer: the citizens' pages stay as they are for
#: the other browser tests sharing this server.


def shoot(page, name: str) -> None:
    folder = os.environ.get("GUICHET_SCREENSHOTS")
    if not folder:
        return
    size = page.viewport_size
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)


def test_version_pages(examples, open_page, texts, audit):
    citizen = open_page()
    sign_in(citizen, texts)
    example = examples["acte-naissance"]
    file_procedure(citizen, example, example.answers, texts)

    page = open_page()
    sign_in_as(page, texts, "admin@demo.guichet.fr")
    page.goto("/console/procedures/acte-naissance/nouvelle-version")
    expect(page.locator(".cm-editor .cm-content")).to_be_visible()
    source = editor_text(page)
    version = source.split("\nversion: ", 1)[1].split("\n", 1)[0]
    newer = source.replace(f"\nversion: {version}\n", f"\nversion: {int(version) + 1}\n", 1)
    newer = newer.replace("\nretention_days: 365\n", "\nretention_days: 366\n", 1)
    set_editor_text(page, newer)
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    expect(page.locator("#impact-title")).to_be_visible()
    page.get_by_role("button", name=f"Publier la version {int(version) + 1}").click()
    expect(page.get_by_role("link", name="Comparer les versions")).to_be_visible()
    audit.check(page, "a procedure with running cases")
    shoot(page, "procedure")

    page.get_by_role("link", name="Comparer les versions").click()
    expect(page.locator("#summary-title")).to_be_visible()
    expect(page.locator("tr.diff-added").nth(1)).to_contain_text("retention_days: 366")
    audit.check(page, "two versions compared")
    shoot(page, "compare")

    page.goto("/console/procedures/acte-naissance")
    page.get_by_role("link", name="Tester cette version").click()
    page.get_by_role("button", name="Lancer les scénarios").click()
    expect(page.locator("#results-title")).to_contain_text("scénarios passent", timeout=120_000)
    audit.check(page, "a version tested")
    shoot(page, "tested")

    page.goto("/console/procedures/acte-naissance")
    page.get_by_role("link", name="Déplacer les dossiers en cours").first.click()
    plan = page.locator("#plan").input_value()
    assert "states:" in plan and "recue: recue" in plan
    page.get_by_role("button", name="Vérifier le plan (simulation)").click()
    expect(page.locator("tr.migration-ok").first).to_be_visible()
    audit.check(page, "a migration plan's dry run")
    shoot(page, "dry-run")
    page.locator("#plan").fill("from: [\n")
    page.get_by_role("button", name="Vérifier le plan (simulation)").click()
    expect(page.locator(".error-summary")).to_contain_text("YAML invalide")
    audit.check(page, "a migration plan with a problem")
    shoot(page, "plan-problem")
    # the plan checked, then applied: the dry run's hidden copy of it comes back intact
    page.locator("#plan").fill(plan)
    page.get_by_role("button", name="Vérifier le plan (simulation)").click()
    page.get_by_role("button", name="Déplacer ce").click()
    expect(page.locator("body")).to_contain_text("Dossiers déplacés vers la version")
    audit.check(page, "a plan applied")
    audit.assert_clean()
