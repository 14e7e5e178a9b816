"""Prefill and the address search in Chromium, with the keyboard alone; axe-core finds
no violation on the pages as they change."""

from __future__ import annotations

import re

from .journeys import ASSOCIATION_SIRET, KeyboardFiller, date_order, sign_in, start_button

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.missing_requirement: every test is skipped, and says why
    expect = None


def keyboard(page, texts):
    return KeyboardFiller(page, texts, {}, date_order(page.context))


def start(page, texts, filler, slug):
    page.goto(f"/demarches/{slug}")
    filler.press(start_button(page, texts))
    page.wait_for_url(re.compile(r"/brouillons/\d+/"))


def test_the_address_search_with_the_keyboard_alone(open_page, texts, audit):
    page = open_page()
    filler = keyboard(page, texts)
    start(page, texts, filler, "signalement-voirie")
    search = page.get_by_role("combobox", name=texts.ui("Search for the address"))
    filler.tab_to(search)
    page.keyboard.type("12 rue")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(2)
    audit.check(page, "the address search, its list open")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", re.compile(r"-option-1$"))
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # chooses, does not send the page
    expect(listbox).to_be_hidden()
    street = page.locator("[name='adresse-street']")
    expect(street).to_have_value("12 Rue des Lilas")
    expect(page.locator("[name='adresse-postcode']")).to_have_value("41000")
    expect(page.locator("[name='adresse-city']")).to_have_value("Valbois-sur-Loire")
    expect(page.locator("[name='position-lat']")).to_have_value("47.5861")  # the point too
    expect(page.locator("[name='position-lon']")).to_have_value("1.3345")
    expect(
        page.get_by_role("status").filter(
            has_text=texts.ui("The address is filled in below: check it.")
        )
    ).to_have_count(1)
    assert "/localisation" in page.url  # still on the page: Enter chose the address
    page.keyboard.press("Escape")
    audit.check(page, "the address search, an address chosen")
    audit.assert_clean()


def test_without_javascript_the_plain_address_inputs_stay(open_page, texts):
    page = open_page(javascript=False)
    filler = keyboard(page, texts)
    start(page, texts, filler, "signalement-voirie")
    expect(page.get_by_role("combobox", name=texts.ui("Search for the address"))).to_have_count(0)
    expect(page.locator("[name='adresse-street']")).to_be_visible()


def test_the_grant_prefills_the_association_from_its_siret(open_page, texts, audit):
    page = open_page()
    filler = keyboard(page, texts)
    sign_in(page, texts, filler)
    start(page, texts, filler, "subvention-association")
    siret = page.get_by_label(re.compile(r"^\s*Numéro SIRET"))
    filler.type_text(siret, ASSOCIATION_SIRET)
    filler.press(page.get_by_role("button", name=texts.ui("Continue")))
    page.wait_for_load_state()
    name = page.get_by_label(re.compile(r"^\s*Nom de l'association"))
    expect(name).to_have_value("Les Amis du vieux Valbois")
    expect(page.locator("[name='adresse_siege-street']")).to_have_value("12 Rue des Lilas")
    expect(page.get_by_text(re.compile("Rempli à partir de"))).to_be_visible()
    audit.check(page, "the grant's first page, prefilled from the SIRET")
    audit.assert_clean()


def test_the_map_places_the_point_with_the_keyboard_alone(open_page, texts, audit):
    page = open_page()
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 47.59, "longitude": 1.33})
    filler = keyboard(page, texts)
    start(page, texts, filler, "signalement-voirie")
    expect(page.locator(".location-map .leaflet-tile-loaded").first).to_be_visible()
    audit.check(page, "the location field's map")
    # the address chosen places the point
    search = page.get_by_role("combobox", name=texts.ui("Search for the address"))
    filler.tab_to(search)
    page.keyboard.type("12 rue des lilas")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".location-map .leaflet-marker-icon")).to_have_count(1)
    # "use my position", with the keyboard
    filler.tab_to(page.get_by_role("button", name=texts.ui("Use my position")))
    page.keyboard.press("Enter")
    expect(page.locator("[name='position-lat']")).to_have_value("47.590000")
    expect(page.locator("[name='position-lon']")).to_have_value("1.330000")
    audit.check(page, "the location field's map, the point placed")
    audit.assert_clean()


def test_without_javascript_the_latitude_and_longitude_stay(open_page, texts):
    page = open_page(javascript=False)
    start(page, texts, keyboard(page, texts), "signalement-voirie")
    expect(page.locator(".location-map")).to_have_count(0)
    expect(page.locator("[name='position-lat']")).to_be_visible()
