"""RGAA 4 / WCAG 2.1 AA: axe-core finds no violation on any page a citizen sees.

Every page of every example procedure is checked as it comes, then sent empty (with its
errors, the focus on their summary), then the review and the receipt; and the catalogue,
the account pages and the personal space. axe-core runs the rules tagged wcag2a, wcag2aa,
wcag21a and wcag21aa; each page is also shown 320 pixels wide, where nothing may need a
horizontal scroll bar (reflow, WCAG 1.4.10, which axe-core does not check).
"""

from __future__ import annotations

import re

import pytest

from .journeys import (
    EVERY_PAGE,
    Filler,
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


def test_the_journeys_show_every_page_of_every_example(examples):
    assert sorted(examples) == SLUGS, "a new example needs its entry in EVERY_PAGE"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_page_of_an_example(slug, examples, open_page, live_server, texts, audit):
    example = examples[slug]
    page = open_page()
    if example.procedure.login == "required":
        sign_in(page, texts)
    answers = example.with_changes(EVERY_PAGE[slug], live_server.today())
    receipt = file_procedure(page, example, answers, texts, check=audit.check, submit_empty=True)
    assert set(receipt.pages) == set(example.pages), "some page was never shown"
    # where the citizen follows the request: the personal space, or the tracking link
    if example.procedure.login == "required":
        page.get_by_role(
            "link", name=texts.ui("Follow this request in your personal space")
        ).click()
    else:
        page.get_by_role("link", name=re.compile(r"suivi")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(example.procedure.title))
    audit.check(page, f"{slug}: the request followed")
    audit.assert_clean()


def test_catalogue_and_account_pages(open_page, texts, audit):
    page = open_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("Online procedures"))
    audit.check(page, "catalogue")
    page.get_by_label(texts.ui("Search a procedure")).fill("vélo")
    page.get_by_role("search").get_by_role("button", name=texts.ui("Search")).click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\s*1\b"))  # "1 procedure"
    audit.check(page, "catalogue, searched")
    page.goto("/?q=introuvable")
    audit.check(page, "catalogue, nothing found")
    page.goto("/?lang=en")
    audit.check(page, "catalogue in English")
    page.goto("/?lang=fr")

    page.goto("/connexion")
    audit.check(page, "sign-in")
    page.get_by_role("main").get_by_role("button", name=texts.ui("Sign in")).click()
    expect(page.get_by_role("alert")).to_be_focused()
    audit.check(page, "sign-in, sent empty (errors)")
    required = texts.ui("(required)")
    page.get_by_label(texts.label(texts.ui("E-mail address"), required_text=required)).fill(
        "citoyen@demo.guichet.fr"
    )
    page.get_by_label(texts.label(texts.ui("Password"), required_text=required)).fill(
        "not the password"
    )
    page.get_by_role("main").get_by_role("button", name=texts.ui("Sign in")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        texts.ui("The e-mail address or the password is not right.")
    )
    expect(page.get_by_role("alert")).to_be_focused()
    audit.check(page, "sign-in, wrong password")

    page.goto("/compte/creer")
    audit.check(page, "sign-up")
    page.get_by_role("main").get_by_role("button", name=texts.ui("Create my account")).click()
    expect(page.get_by_role("alert")).to_be_focused()
    audit.check(page, "sign-up, sent empty (errors)")

    page.goto("/compte/mot-de-passe-oublie")
    audit.check(page, "forgotten password")
    page.goto("/accessibilite")
    audit.check(page, "accessibility statement")
    page.goto("/donnees-personnelles")
    audit.check(page, "personal data")
    page.goto("/mentions-legales")
    audit.check(page, "legal notice")
    page.goto("/demarches/no-such-procedure")
    audit.check(page, "page not found")
    audit.assert_clean()


def test_personal_space(examples, open_page, live_server, texts, audit):
    page = open_page()
    sign_in(page, texts)
    example = examples["acte-naissance"]
    receipt = file_procedure(page, example, example.answers, texts)
    # a draft too: the list shows both tables
    page.goto("/demarches/aide-velo-electrique")
    start_button(page, texts).click()
    page.get_by_role("button", name=texts.ui("Save and finish later")).click()
    audit.check(page, "a form page, draft saved (notice)")

    page.get_by_role("navigation", name=texts.ui("Main menu")).get_by_role(
        "link", name=texts.ui("My requests")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("My requests"))
    expect(page.get_by_role("table")).to_have_count(2)
    audit.check(page, "my requests")
    page.get_by_role("row").filter(has_text=receipt.reference).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(example.procedure.title))
    audit.check(page, "a request")
    Filler(page, texts, {}).type_text(
        page.get_by_label(texts.ui("Your message")), "Pouvez-vous envoyer l'acte à ma fille ?"
    )
    page.get_by_role("button", name=texts.ui("Send the message")).click()
    expect(page.get_by_role("status")).to_contain_text(
        texts.ui("Your message is sent to the department.")
    )
    audit.check(page, "a request, message sent")
    page.goto("/mes-notifications")
    audit.check(page, "my notifications")
    page.goto("/mon-profil")
    audit.check(page, "my profile")
    page.goto("/mes-donnees")
    audit.check(page, "my data")
    page.goto("/mon-compte/supprimer")
    audit.check(page, "deleting my account (confirmation)")
    # the procedure of the draft offers to resume it, or to delete it after a confirmation
    page.goto("/demarches/aide-velo-electrique")
    expect(page.get_by_role("button", name=texts.ui("Start a new request"))).to_be_visible()
    audit.check(page, "a procedure's page, with a draft to resume")
    page.get_by_role("link", name=texts.ui("Delete"), exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.ui("Delete this draft?"))
    audit.check(page, "deleting a draft (confirmation)")
    page.get_by_role("button", name=texts.ui("Delete the draft")).click()
    expect(page.get_by_role("status")).to_contain_text(texts.ui("Your draft is deleted."))
    audit.check(page, "a procedure's page, draft deleted (notice)")
    audit.assert_clean()


def test_the_review_page_with_errors(examples, open_page, texts, audit):
    """An answer changed from the review makes a skipped step incomplete: sending shows the
    errors, each linked to its step."""
    example = examples["acte-naissance"]
    page = open_page()
    file_procedure(page, example, example.answers, texts, send=False)
    link = example.procedure.fields["lien"]
    page.get_by_role("link", name=f"{texts.ui('Change')} : {text(link.label)}").click()
    Filler(page, texts, {"lien": "tiers"}).fill(page, link, "tiers")
    page.get_by_role("button", name=texts.ui("Continue"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        texts.ui("Check your answers before sending")
    )
    page.get_by_role("button", name=texts.ui("Send my request"), exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    assert page.title().startswith(texts.ui("Error:"))
    audit.check(page, "review, sent with errors")
    missing = example.procedure.fields["nom_titulaire"]
    summary.get_by_role("link", name=re.compile(re.escape(text(missing.label)))).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(example.pages["personne"].title))
    audit.assert_clean()
