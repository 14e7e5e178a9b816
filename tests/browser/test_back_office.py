"""RGAA 4 / WCAG 2.1 AA in the back office and the console: axe-core finds no violation on
any page an agent or an administrator sees (and each reflows at 320 pixels)."""

from __future__ import annotations

from .journeys import editor_text, file_procedure, set_editor_text, sign_in, sign_in_as

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None


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
    page.goto("/agents/donnees-personnelles")
    audit.check(page, "an access request")
    page.get_by_label(texts.ui("E-mail address of the person")).fill("citoyen@demo.guichet.fr")
    page.get_by_role("button", name=texts.ui("Produce the export")).click()
    expect(page.get_by_text(receipt.reference).first).to_be_visible()
    audit.check(page, "an access request, the export")

    supervisor = open_page()
    sign_in_as(supervisor, texts, "responsable@demo.guichet.fr")
    supervisor.goto(page.url.split("/agents/")[0] + "/agents/")
    supervisor.get_by_role("link", name=receipt.reference).click()
    supervisor.get_by_label(texts.ui("Reason for a legal hold")).fill("Recours contentieux.")
    supervisor.get_by_role("button", name=texts.ui("Put under a legal hold")).click()
    expect(supervisor.get_by_role("status")).to_contain_text(
        texts.ui("The request is under a legal hold: it will not be anonymised.")
    )
    audit.check(supervisor, "a case under a legal hold")
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
        ("/console/clients-api", "the API clients"),
        ("/api/v1/", "the API's description"),
    ]:
        page.goto(url)
        audit.check(page, name)
    page.goto("/console/procedures/acte-naissance/nouvelle-version")
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    audit.check(page, "a version previewed")
    expect(page.locator("svg.workflow-diagram")).to_be_visible()
    source = editor_text(page)
    set_editor_text(page, source.replace("label: Votre nom\n", "label: Divers\n", 1))
    page.get_by_role("button", name=texts.ui("Check and preview")).click()
    expect(page.locator(".lint-warnings")).to_contain_text("lint/vague-label")
    audit.check(page, "a version previewed with warnings")
    audit.assert_clean()


def test_dashboards_for_a_supervisor_and_an_agent(examples, open_page, texts, audit, live_server):
    """The overview and a procedure's dashboard with figures in them (the worker's refresh
    run here), for the supervisor who sees every department and for an agent."""
    import datetime as dt

    from engine import rollups

    citizen = open_page()
    sign_in(citizen, texts)
    example = examples["acte-naissance"]
    file_procedure(citizen, example, example.answers, texts)
    state = live_server.app.extensions["guichet"]
    with state.sessions() as session, session.begin():
        # a day later: the request has waited a day in "Reçue"
        later = state.clock.now() + dt.timedelta(days=1)
        rollups.refresh(session, later, state.runtime.calendar)

    for email in ("responsable@demo.guichet.fr", "agent@demo.guichet.fr"):
        page = open_page()
        sign_in_as(page, texts, email)
        page.goto("/agents/tableaux-de-bord/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tableaux de bord")
        board = page.get_by_role("link", name="Demande d'acte de naissance", exact=True)
        expect(board).to_be_visible()
        expect(page.locator("main")).to_contain_text("semaine du")
        audit.check(page, f"the overview ({email})")
        board.click()
        expect(page.get_by_role("heading", name="Où les demandes attendent")).to_be_visible()
        expect(page.locator("tr.highlight")).to_contain_text("Reçue")
        audit.check(page, f"a procedure's dashboard ({email})")
    audit.assert_clean()
