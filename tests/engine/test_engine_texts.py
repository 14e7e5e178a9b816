"""The texts the engine writes itself come from its gettext catalogue, in the site's language."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from engine import texts
from engine.notifications import site_language


def test_the_engine_writes_french_from_its_catalogue():
    assert texts.clock_alert("fr", "ODP-2026-000001", dt.date(2026, 7, 26)) == (
        "ODP-2026-000001: le délai légal expire le 26 juillet 2026",
        "Sans décision, le délai légal de la demande ODP-2026-000001 expire le 26 juillet 2026.",
    )
    assert texts.deadline_reminder("fr", "AN-2026-000001", dt.datetime(2026, 3, 2, 9)) == (
        "Rappel : AN-2026-000001",
        "La demande AN-2026-000001 attend une action depuis le 2 mars 2026.",
    )
    assert texts.new_message("fr", "AN-2026-000001") == "AN-2026-000001 : nouveau message"
    assert texts.greeting("fr", "  Camille   Martin ") == "Bonjour Camille Martin,"
    assert texts.greeting("fr", "") == texts.greeting("fr", None) == "Bonjour,"
    assert texts.greeting("en", "Camille Martin") == "Hello Camille Martin,"
    assert texts.citizen_reminder("fr", "AN-2026-000001") == (
        "Relance de l'usager : AN-2026-000001",
        "L'usager relance la demande AN-2026-000001.",
    )


def test_the_engine_writes_english_when_no_catalogue_ships_for_the_language():
    assert texts.deadline_reminder("en", "AN-2026-000001", dt.datetime(2026, 3, 2, 9)) == (
        "Reminder: AN-2026-000001",
        "Request AN-2026-000001 has been waiting for an action since March 2, 2026.",
    )
    assert texts.new_message("de", "AN-2026-000001") == "AN-2026-000001: new message"


def test_the_engine_writes_in_the_first_language_of_the_site():
    assert site_language(SimpleNamespace(site=None)) == "fr"
    english_first = SimpleNamespace(site=SimpleNamespace(languages=["en", "fr"]))
    assert site_language(english_first) == "en"


def test_the_day_a_reminder_names_is_the_site_s_day():
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)  # already the 3rd in Paris
    assert texts.deadline_reminder("fr", "AN-1", late)[1].endswith("depuis le 3 mars 2026.")
    assert texts.deadline_reminder("fr", "AN-1", late, "America/Cayenne")[1].endswith(
        "depuis le 2 mars 2026."
    )
