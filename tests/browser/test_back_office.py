"""RGAA 4 / WCAG 2.1 AA in the back office and the console: axe-core finds no violation on
any page an agent or an administrator sees (and each reflows at 320 pixels)."""

from __future__ import annotations

from .journeys import file_procedure, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None


def sign_in_as(page, texts, email: str) -> None:
    """Every demo account has the demo citizen's password."""
    sign_in(page, texts, email=email, then="/agents/")


def test_agent_pages(examples, open_page, texts, audit):
    citizen = open_page()
    sign_in(citizen, texts)
    example = examples["acte-naissance"]
    receipt = file_procedure(citizen, example, example.answers, texts)

    page = open_page()
    sign_in_as(page, texts, "agent@demo.guichet.fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("Inbox"))
    audit.check(page, "inbox")
    page.get_by_role("link", name=receipt.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(receipt.reference)
    audit.check(page, "a case")
    page.get_by_role("link", name="Demander des précisions").click()
    audit.check(page, "a transition form")
    page.get_by_role("button", name=texts.ui("Confirm")).click()
    audit.check(page, "a transition form with errors")
    page.goto("/agents/depot")
    audit.check(page, "filing on behalf")
    page.goto("/agents/tableaux-de-bord/")
    audit.check(page, "dashboards")
    page.goto("/agents/tableaux-de-bord/acte-naissance")
    audit.check(page, "a dashboard")
    audit.assert_clean()


def test_console_pages(open_page, texts, audit):
    page = open_page()
    sign_in_as(page, texts, "admin@demo.guichet.fr")
    for url, name in [
        ("/console/procedures", "procedures"),
        ("/console/procedures/acte-naissance", "a procedure"),
        ("/console/procedures/acte-naissance/nouvelle-version", "a new version"),
        ("/console/procedures/nouvelle", "a new procedure"),
        ("/console/outbox", "the outbox"),
        ("/console/journal", "the audit log"),
        ("/console/utilisateurs", "users"),
        ("/console/utilisateurs/nouveau", "a new staff account"),
    ]:
        page.goto(url)
        audit.check(page, name)
    page.goto("/console/procedures/acte-naissance/nouvelle-version")
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    audit.check(page, "a version previewed")
    audit.assert_clean()
