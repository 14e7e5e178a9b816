"""An agent's day in the back office, in a browser: sign in, take three cases, take two more
at once, answer a citizen's reminder, ask for documents, decide, check the counts, sign out;
axe-core checks every page on the way (and that each reflows at 320 pixels)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from .journeys import CITIZEN, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None

AGENT = "agent@demo.guichet.fr"


def file_for_the_citizen(live_server, examples, slugs: list[str]) -> dict[str, tuple[int, str]]:
    """Cases of the demo citizen, filed with each example's valid answers: {slug: (id,
    reference)}; the first one gets a message and a reminder from the citizen."""
    from engine import cases, exchanges
    from engine.models import Account
    from engine.workflow import Actor

    state = live_server.app.extensions["guichet"]
    filed = {}
    with live_server.sessions()() as session, session.begin():
        citizen = session.scalars(sa.select(Account).where(Account.email == CITIZEN[0])).one()
        who = Actor("citizen", citizen.id)
        versions = {v.slug: v for v in state.runtime.catalogue.published(session)}
        for slug in slugs:
            case = cases.submit_answers(
                session,
                state.runtime,
                versions[slug],
                examples[slug].answers,
                who,
                state.clock,
                owner_id=citizen.id,
            )
            filed[slug] = case
        first = filed[slugs[0]]
        exchanges.post_message(
            session, state.runtime, first, who, state.clock, "Où en est ma demande ?"
        )
        exchanges.remind(session, state.runtime, first, who, state.clock, "C'est urgent.")
        return {slug: (case.id, case.reference) for slug, case in filed.items()}


def count_of(page, name: str) -> int:
    """The count a tab of the inbox shows."""
    tabs = page.get_by_role("navigation", name="Onglets de la corbeille")
    return int(tabs.get_by_role("link", name=re.compile(name)).locator(".count").inner_text())


def open_case(page, texts, reference: str) -> None:
    """From the inbox, the case by its reference (its link)."""
    page.goto("/agents/")
    page.get_by_role("link", name=reference, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_an_agents_day(examples, live_server, open_page, texts, audit):
    filed = file_for_the_citizen(
        live_server,
        examples,
        ["acte-naissance", "inscription-periscolaire", "subvention-association"],
    )
    more = file_for_the_citizen(
        live_server, examples, ["signalement-voirie", "occupation-domaine-public"]
    )
    page = open_page()
    sign_in(page, texts, email=AGENT, then="/agents/")
    for _, reference in [*filed.values(), *more.values()]:
        expect(page.get_by_role("link", name=reference, exact=True).first).to_be_visible()
    to_handle, mine = count_of(page, "À traiter"), count_of(page, "Mes dossiers")
    assert to_handle >= 5
    audit.check(page, "the inbox")

    # take the three cases, one after the other ("M'attribuer", the last by keyboard)
    for number, (_, reference) in enumerate(filed.values()):
        open_case(page, texts, reference)
        history = page.locator("#history").locator("..")
        if number == 0:
            # the citizen's reminder and message are marked new, this first time
            expect(history).to_contain_text("C'est urgent.")
            expect(history).to_contain_text("Où en est ma demande ?")
            expect(history).to_contain_text("Camille Citoyenne")
            assert history.get_by_text(texts.ui("New"), exact=True).count() >= 2
            audit.check(page, "a case with a reminder")
        summary = page.get_by_role("complementary")
        take = summary.get_by_role("button", name=texts.ui("Assign to me"))
        if number == 2:
            take.focus()
            page.keyboard.press("Enter")
        else:
            take.click()
        expect(summary).to_contain_text("Alex Agent")
        expect(summary.get_by_role("button", name=texts.ui("Assign to me"))).to_have_count(0)
    audit.check(page, "a case taken")

    # two more at once from "À traiter": their checkboxes, then the grouped toolbar
    page.goto("/agents/")
    assert count_of(page, "À traiter") == to_handle - 3
    assert count_of(page, "Mes dossiers") == mine + 3
    for _, reference in more.values():
        page.get_by_label(f"Sélectionner {reference}").check()
    page.get_by_role("button", name="Me les attribuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        texts.ui("Result of the grouped action")
    )
    page.goto("/agents/")
    assert count_of(page, "À traiter") == to_handle - 5
    assert count_of(page, "Mes dossiers") == mine + 5

    # answer the citizen's reminder; opened once, the case has nothing new any more
    case_id, reference = filed["acte-naissance"]
    page.goto(f"/agents/dossiers/{case_id}")
    history = page.locator("#history").locator("..")
    expect(history.get_by_text(texts.ui("New"), exact=True)).to_have_count(0)
    page.get_by_label(texts.ui("Message to the citizen")).fill(
        "Votre acte sera envoyé cette semaine."
    )
    page.get_by_role("button", name=texts.ui("Send the message")).click()
    expect(page.get_by_role("status")).to_contain_text(
        texts.ui("Your message is sent to the citizen.")
    )
    # the answer names who wrote it, and for which department
    expect(history).to_contain_text("Alex Agent, État civil")
    assert "un agent" not in history.inner_text()

    # ask the family for a document: the form says where the request goes next
    case_id, reference = filed["inscription-periscolaire"]
    page.goto(f"/agents/dossiers/{case_id}")
    expect(page.get_by_role("heading", level=4, name="Enfant 1")).to_be_visible()
    page.get_by_role("link", name="Demander une pièce").click()
    expect(page.get_by_role("main")).to_contain_text("En attente de pièces")
    audit.check(page, "asking for a document")
    asked = "Merci de transmettre une attestation d'assurance à jour."
    page.get_by_role("textbox").fill(asked)
    page.get_by_role("button", name=texts.ui("Confirm")).click()
    summary = page.get_by_role("complementary")
    expect(summary).to_contain_text("En attente de pièces")
    expect(page.locator("#history").locator("..")).to_contain_text(asked)

    # the citizen reads what was asked where they answer
    citizen = open_page()
    sign_in(citizen, texts)
    citizen.goto(f"/mes-demandes/{case_id}/actions/completer")
    expect(citizen.get_by_role("main")).to_contain_text(asked)
    audit.check(citizen, "the citizen's answer form")

    # decide: deliver the birth certificate
    case_id, reference = filed["acte-naissance"]
    page.goto(f"/agents/dossiers/{case_id}")
    page.get_by_role("link", name="Délivrer le document demandé").click()
    page.get_by_role("button", name=texts.ui("Confirm")).click()
    expect(page.get_by_role("complementary")).to_contain_text("Acte délivré")
    expect(page.get_by_role("status")).to_contain_text("Délivrer le document demandé")
    audit.check(page, "a decided case")

    # the counts follow: the delivered certificate is closed, the others are still mine
    page.goto("/agents/")
    # the delivered one is closed; the one waiting for papers is still mine
    assert count_of(page, "Mes dossiers") == mine + 4
    assert count_of(page, "En attente de l'usager") >= 1
    assert count_of(page, "Clos") >= 1

    # sign out
    page.get_by_role("button", name=texts.ui("Sign out")).click()
    expect(page.get_by_role("link", name=texts.ui("Sign in"))).to_be_visible()
    page.goto("/agents/")  # signed out, the back office asks to sign in again
    expect(page).to_have_url(re.compile(r"/connexion\?"))
    audit.assert_clean()
