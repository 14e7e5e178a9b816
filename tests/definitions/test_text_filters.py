"""The `{{ }}` filters for people (amount, number, date, datetime, phone): known to the checker,
formatting in the language the text is rendered for."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from definitions.expression_checks import analyse
from definitions.expressions import Template
from definitions.folders import check_paths

from ..conftest import FIXTURES

NNBSP, NBSP = "\u202f", "\u00a0"
SUBJECT = "Demande {{ case.reference }} : {{ montant | amount }}"
BODY = (
    "Montant : {{ montant | amount }} ; avec centimes : {{ montant | amount(2) }} ; "
    "surface : {{ surface | number }} ; déposée le {{ case.submitted_at | date }} ; "
    "à {{ now | datetime }} ; rappel au {{ telephone | phone }}."
)
EXTRA_FIELDS = """        - id: montant
          type: decimal
          label: Montant demandé
          unit: €
        - id: surface
          type: decimal
          label: Surface
        - id: telephone
          type: phone
          label: Téléphone
"""


def _procedure(tmp_path, subject: str, body: str):
    original = (FIXTURES / "valid" / "birth-certificate.yaml").read_text("utf-8")
    marker = "        - id: relation\n"
    text = original.replace(marker, EXTRA_FIELDS + marker, 1)
    text = text.replace('subject: "Demande {{ case.reference }} reçue"', f'subject: "{subject}"', 1)
    text = text.replace("body: Nous avons bien reçu votre demande.", f'body: "{body}"', 1)
    path = tmp_path / "birth-certificate.yaml"
    path.write_text(text, "utf-8")
    site = FIXTURES / "site.yaml"
    environ = {"FIXTURE_SECRET": "s3cret-value"}
    return path, check_paths([path], site, environ=environ, with_tests=False)


CONTEXT = {
    "montant": 25000.5,
    "surface": 1250.5,
    "telephone": "+33612345678",
    "case": SimpleNamespace(reference="AN-2026-000001", submitted_at=dt.date(2026, 12, 8)),
    "now": dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC),
}


def test_a_notification_using_every_filter_loads_and_renders_in_french(tmp_path):
    _path, result = _procedure(tmp_path, SUBJECT, BODY)
    assert result.problems == []
    (procedure,) = result.procedures
    (action,) = procedure.workflow.state("received").on_enter
    body = action.body.render(CONTEXT, "fr")
    assert f"Montant : 25{NNBSP}000,50{NBSP}€ ;" in body
    assert f"avec centimes : 25{NNBSP}000,50{NBSP}€ ;" in body
    assert f"surface : 1{NNBSP}250,5 ;" in body
    assert "déposée le 8 décembre 2026 ;" in body
    assert "à 8 décembre 2026 à 14:05 ;" in body  # 13:05 UTC is 14:05 in Paris
    assert "rappel au 06 12 34 56 78." in body
    assert action.subject.render(CONTEXT) == f"Demande AN-2026-000001 : 25{NNBSP}000,50{NBSP}€"


def test_whole_amounts_have_no_decimals_unless_asked():
    assert Template("{{ x | amount }}").render({"x": 20000}) == f"20{NNBSP}000{NBSP}€"
    assert Template("{{ x | amount }}").render({"x": 20000.0}) == f"20{NNBSP}000{NBSP}€"
    assert Template("{{ x | amount(2) }}").render({"x": 20000}) == f"20{NNBSP}000,00{NBSP}€"


def test_the_filters_format_in_the_language_the_text_is_rendered_for():
    text = Template("{{ x | amount }} {{ d | date }} {{ n | number }}")
    values = {"x": 1234.5, "d": "2026-12-08", "n": 1250.5}
    assert text.render(values, "en") == "€1,234.50 December 8, 2026 1,250.5"
    assert text.render(values) == f"1{NNBSP}234,50{NBSP}€ 8 décembre 2026 1{NNBSP}250,5"
    # a moment in the site's time zone
    moment = {"m": dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC)}
    assert Template("{{ m | datetime }}").render(moment, "fr", "America/Cayenne") == (
        "8 décembre 2026 à 10:05"
    )


def test_a_value_that_is_not_what_the_filter_formats_is_shown_as_it_is():
    assert Template("{{ x | amount }}|{{ x | date }}|{{ x | phone }}").render({"x": "n/a"}) == (
        "n/a|n/a|n/a"
    )
    assert Template("{{ x | amount }}").render({"x": None}) == ""


def test_an_unknown_filter_is_refused_at_its_line(tmp_path):
    path, result = _procedure(tmp_path, SUBJECT, "{{ montant | currency }}")
    (problem,) = result.problems
    lines = path.read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "{{ montant | currency }}" in text)
    assert (problem.file, problem.line) == (str(path), line)
    assert "unknown filter 'currency'" in problem.message
    assert analyse("{{ x | amont }}", True).refusal.endswith("did you mean 'amount'?")
