"""Values as people read them (definitions.formats), in French and in English."""

import datetime as dt

import pytest

from definitions import formats

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "language", "expected"),
    [
        (20000, None, "fr", f"20{NNBSP}000{NBSP}€"),
        (25000.5, None, "fr", f"25{NNBSP}000,50{NBSP}€"),
        (25000.0, None, "fr", f"25{NNBSP}000{NBSP}€"),
        ("25000.5", 2, "fr", f"25{NNBSP}000,50{NBSP}€"),
        (12, 2, "fr", f"12,00{NBSP}€"),
        (1234.5, None, "en", "€1,234.50"),
        ("pas un montant", None, "fr", "pas un montant"),
    ],
)
def test_amounts(value, decimals, language, expected):
    assert formats.amount(value, decimals, language) == expected


def test_numbers_and_their_grouping():
    assert formats.number(1250.5) == f"1{NNBSP}250,5"
    assert formats.number(25000.0) == f"25{NNBSP}000"
    assert formats.number(1250.5, "en") == "1,250.5"
    assert formats.number(True) == "True"


def test_dates_and_moments_in_the_site_time_zone():
    assert formats.date("2026-12-08") == "8 décembre 2026"
    assert formats.date(dt.date(2026, 12, 8), "en") == "December 8, 2026"
    # stored moments are UTC: 23:30 UTC is already the 9th in Paris
    assert formats.date(dt.datetime(2026, 12, 8, 23, 30)) == "9 décembre 2026"
    moment = dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC)
    assert formats.datetime(moment) == "8 décembre 2026 à 14:05"
    assert formats.datetime(moment, "en").replace("\u202f", " ") == "December 8, 2026 at 2:05 PM"
    assert formats.time(moment) == "14:05"
    assert formats.date("hier") == "hier"


def test_phone_numbers():
    assert formats.phone("+33612345678") == "06 12 34 56 78"
    assert formats.phone("0612345678") == "06 12 34 56 78"
    assert formats.phone("+493012345678").startswith("+49 30")
    assert formats.phone("pas un numéro") == "pas un numéro"


def test_countries_and_addresses():
    assert formats.country("DE") == "Allemagne"
    assert formats.country("de", "en") == "Germany"
    address = {"street": "1 rue de la Paix", "postcode": "75002", "city": "Paris", "country": "BE"}
    assert formats.address_lines(address) == ["1 rue de la Paix", "75002 Paris", "Belgique"]
    home = formats.address_lines({**address, "country": "FR"})
    assert home == ["1 rue de la Paix", "75002 Paris"]
