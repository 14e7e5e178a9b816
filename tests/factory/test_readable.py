"""Every page and mail a person reads shows values formatted and names, never raw ids.

A grant request for 25 000,50 € with a project date and a phone number is filed through the
portal; the review page, the personal space, the case page and the notifications, the
receipt mail (text and HTML), and the console's outbox, audit log and users are read with
:func:`tests.factory.readable.assert_readable`.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
import sqlalchemy as sa

from .portal_helpers import CITIZENS, csrf, fill, sign_in, start, submit
from .readable import assert_readable, page_text, unreadable

NNBSP, NBSP = "\u202f", "\u00a0"
#: Ids that have a name where people read (the department's key, the workflow's state ids,
#: the outbox's statuses, the account kinds, the audit actions).
RAW = [
    "vie-associative",
    "(deposee)",
    "deposee",
    "dead",
    "pending",
    "delivered",
    "administrator",
    "citizen",
    "file_on_behalf",
    "outbox.replay",
    "procedure.withdraw",
]


@pytest.fixture
def people():
    return {
        **CITIZENS,
        "admin@example.org": ("administrator", ()),
        "agent@example.org": ("agent", ("vie-associative", "finances")),
    }


def _answers(examples) -> dict:
    from definitions.scenarios import resolve_dates

    _procedure, suite = examples["subvention-association"]
    return {
        **resolve_dates(dict(suite.scenarios[2].answers), dt.date.today()),
        "montant_demande": 25000.5,
        "telephone": "0612345678",
        "type_subvention": "projet",
        "intitule_projet": "Fête de la Loire",
        "description_projet": (
            "Une journée de découverte des bords de Loire, ouverte à toutes les familles."
        ),
        "date_projet": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        "public_vise": ["familles"],
        "cout_projet": 31000.0,
    }


def test_the_helper_finds_what_is_not_readable():
    assert unreadable("Montant : 25000.5 €") and unreadable("Montant : 25000.0 €")
    assert unreadable("le 2026-12-08") and unreadable("à 2026-12-08T14:05")
    assert unreadable("Service : vie-associative", ["vie-associative"])
    assert not unreadable(f"25{NNBSP}000,50{NBSP}€, le 8 décembre 2026, SUB-2026-000001")
    assert not unreadable("vie-associative-bis", ["vie-associative"])
    # tags, attributes and addresses are not read
    html = '<a href="/x?d=2026-12-08" data-s="dead">Voir</a> https://ex.org/2026-12-08'
    assert page_text(html).strip() == "Voir"
    with pytest.raises(AssertionError, match="raw id 'dead'"):
        assert_readable("<td>dead</td>", ["dead"])


def test_pages_and_mails_read_values_and_names(app, examples):
    from engine.models import Account, AuditEvent, OutboxMessage

    procedure, _suite = examples["subvention-association"]
    answers = _answers(examples)
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    case_id = start(citizen, "subvention-association")
    review_url = fill(citizen, procedure, case_id, answers)
    review = citizen.get(review_url).get_data(as_text=True)
    assert f"25{NNBSP}000,50{NBSP}€" in review and "06 12 34 56 78" in review
    assert_readable(review, RAW)
    in_english = citizen.get(review_url + "?lang=en").get_data(as_text=True)
    assert "€25,000.50" in in_english
    assert_readable(in_english, RAW)
    citizen.get(review_url + "?lang=fr")
    assert submit(citizen, case_id).status_code == 302

    receipt = citizen.get(f"/demandes/{case_id}/recu")
    pages = {"receipt": receipt.get_data(as_text=True)} if receipt.status_code == 200 else {}
    pages["space"] = citizen.get("/mes-demandes").get_data(as_text=True)
    case_page = citizen.get(f"/mes-demandes/{case_id}")
    assert case_page.status_code == 200
    pages["case"] = case_page.get_data(as_text=True)
    pages["notifications"] = citizen.get("/mes-notifications").get_data(as_text=True)
    assert "Vie associative et sportive" in pages["case"]  # the department by its name
    assert f"25{NNBSP}000,50{NBSP}€" in pages["case"]  # the receipt, with the amount
    # in English too: the review page's amount, the dates of the case page
    english = citizen.get(f"/mes-demandes/{case_id}?lang=en").get_data(as_text=True)
    assert "Department in charge" in english and "Vie associative et sportive" in english
    pages["case in English"] = english
    for name, html in pages.items():
        assert_readable(html, RAW), name

    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session, session.begin():
        mails = [
            m
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.kind == "notify" and m.payload.get("to") == ["a@example.org"]
        ]
        assert len(mails) == 1  # one receipt per filing
        mail = mails[0]
        mail.status, mail.last_error = "dead", "the mail server is down"  # for the console
        payload, event_id = dict(mail.payload), mail.event_id
        reference = mail.payload["reference"]
        admin_id = session.scalar(sa.select(Account.id).where(Account.email == "admin@example.org"))
        session.add(
            AuditEvent(
                account_id=admin_id,
                action="file_on_behalf",
                case_id=case_id,
                detail={"channel": "phone", "departments": ["vie-associative"]},
            )
        )
    text = payload["text"]
    assert text.startswith("Bonjour a@example.org,\n\n")
    assert f"25{NNBSP}000,50{NBSP}€" in text
    # the service in charge by its name, then the authority's, with the ways to reach it
    assert "Vie associative et sportive\nVille de Valbois-sur-Loire\n" in text
    assert "  " not in payload["subject"]
    assert_readable(text, RAW, is_html=False)
    assert_readable(payload["subject"], RAW, is_html=False)

    from connectors.base import Delivery
    from connectors.email import EmailConnector

    connector = EmailConnector("mail", {"from": "mairie@example.org", "folder": "/nonexistent"})
    delivery = Delivery(event_id, "mail", "notify", "citizen", payload, 1)
    message = email.message_from_bytes(bytes(connector.message(delivery)), policy=policy.default)
    html_part = message.get_body(("html",)).get_content()
    assert_readable(html_part, RAW)

    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    page = "/console/procedures/subvention-association"
    admin.post(f"{page}/retirer", data={"csrf_token": csrf(admin, page)})
    admin.post(f"{page}/remettre", data={"csrf_token": csrf(admin, page)})
    console = {
        "outbox": admin.get("/console/outbox").get_data(as_text=True),
        "journal": admin.get("/console/journal").get_data(as_text=True),
        "users": admin.get("/console/utilisateurs").get_data(as_text=True),
    }
    assert "Échec définitif" in console["outbox"]  # not "dead"
    assert "Vie associative et sportive" in console["users"]
    assert "Déposée pour le compte d'un usager" in page_text(console["journal"])
    for name, html in console.items():
        assert_readable(html, RAW), name
    # the log shows the case's reference, and finds the case by it
    assert reference in page_text(console["journal"])
    by_reference = admin.get(f"/console/journal?case={reference.lower()}").get_data(as_text=True)
    assert "Déposée pour le compte d'un usager" in page_text(by_reference)
    assert "Démarche retirée" not in by_reference
    with app.app_context(), state.sessions() as session:
        agent_id = session.scalar(sa.select(Account.id).where(Account.email == "agent@example.org"))
    user = admin.get(f"/console/utilisateurs/{agent_id}").get_data(as_text=True)
    assert_readable(user, RAW)


def test_an_anonymous_filer_reads_the_tracking_page_and_a_mail_with_its_link(app, examples):
    import re

    from definitions.scenarios import resolve_dates
    from engine.models import OutboxMessage

    procedure, suite = examples["aide-velo-electrique"]
    answers = resolve_dates(dict(suite.scenarios[1].answers), dt.date.today())
    answers = {**answers, "prix_achat": 1899.9, "montant_demande": 199.5}
    anonymous = app.test_client()
    case_id = start(anonymous, "aide-velo-electrique")
    review = anonymous.get(fill(anonymous, procedure, case_id, answers)).get_data(as_text=True)
    assert f"1{NNBSP}899,90{NBSP}€" in review and f"199,50{NBSP}€" in review
    assert_readable(review, RAW)
    response = submit(anonymous, case_id)
    receipt = anonymous.get(response.headers["Location"]).get_data(as_text=True)
    assert_readable(receipt, RAW)
    link = re.search(r'href="(http://[^"]+/suivi/[^"]+)"', receipt)[1]
    tracking = anonymous.get(link).get_data(as_text=True)
    assert f"199,50{NBSP}€" in tracking  # the receipt in the page, with the amount
    assert_readable(tracking, RAW)
    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session:
        (mail,) = [
            m.payload
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.payload.get("to") == [answers["courriel"]]
        ]
    assert mail["text"].startswith("Bonjour,\n\n") and link in mail["text"]
    assert_readable(mail["text"], RAW, is_html=False)
