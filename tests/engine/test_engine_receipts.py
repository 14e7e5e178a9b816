"""The acknowledgement of receipt is queued by the engine's submit, in the site's language."""

from __future__ import annotations

import sqlalchemy as sa

from engine import cases
from engine.models import Notification, OutboxMessage
from engine.workflow import Actor

from ..engine_helpers import BIRTH_ANSWERS, terrace_answers

CITIZEN = Actor("citizen")
RECEIPT = "Accusé de réception\u00a0: "


def _submit(sessions, runtime, version, answers, clock, **options) -> int:
    with sessions() as session, session.begin():
        case = cases.new_draft(session, runtime, version, CITIZEN, clock)
        case.answers = dict(answers)
        session.flush()
        cases.submit(session, runtime, case, CITIZEN, clock, **options)
        return case.id


def _receipts(sessions, case_id):
    with sessions() as session:
        notes = session.scalars(
            sa.select(Notification).where(
                Notification.case_id == case_id, Notification.subject.startswith(RECEIPT)
            )
        ).all()
        mails = [
            m.payload
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.payload.get("subject", "").startswith(RECEIPT)
        ]
        return [(n.audience, n.subject, n.body) for n in notes], mails


def test_submit_queues_the_receipt_with_the_tracking_link(sessions, runtime, published, clock):
    links = []

    def link(token):
        links.append(token)
        return f"https://guichet.example.org/suivi/{token}"

    case_id = _submit(
        sessions,
        runtime,
        published["acte-naissance"],
        BIRTH_ANSWERS,
        clock,
        receipt=True,
        tracking_link=link,
    )
    notes, mails = _receipts(sessions, case_id)
    assert len(notes) == 1 and len(links) == 1
    audience, subject, body = notes[0]
    assert audience == "citizen"
    assert subject.startswith(RECEIPT) and "naissance" in subject
    paragraphs = body.split("\n\n")
    assert paragraphs[0] == "Bonjour,"  # an anonymous filer: no name to greet
    assert paragraphs[1] == "Nous avons bien reçu votre demande AN-2026-000001 le 2 mars 2026."
    # what the workflow tells the citizen on entering its first state is in this one mail
    assert paragraphs[2].startswith("Le service de l'état civil traite votre demande")
    # no legal clock on this procedure: no implicit decision (R112-11-1)
    assert paragraphs[3] == (
        "Cette demande ne donne lieu à aucune décision implicite\u00a0: le silence de "
        "l'administration ne vaut ni acceptation ni rejet."
    )
    assert (
        paragraphs[4] == f"Suivez votre demande\u00a0: https://guichet.example.org/suivi/{links[0]}"
    )
    # the service in charge, by its name, with the authority's postal address and phone
    # (the department gives none) and the department's e-mail
    assert paragraphs[5] == (
        "Service chargé de votre demande\u00a0:\nÉtat civil\nVille de Valbois-sur-Loire\n"
        "Hôtel de ville, 1 place de la Mairie, 41000 Valbois-sur-Loire\n"
        "Téléphone\u00a0: 02 54 00 10 00\nCourriel\u00a0: etat-civil@valbois-sur-loire.fr"
    )
    assert len(paragraphs) == 6
    assert [m["to"] for m in mails] == [[BIRTH_ANSWERS["courriel"]]]
    assert mails[0]["text"] == body and mails[0]["subject"] == subject


def test_one_mail_per_filing_greeting_the_filer_by_name(sessions, runtime, published, clock):
    from engine.models import Account

    with sessions() as session, session.begin():
        account = Account(email="camille@example.org", name="Camille  Martin")
        session.add(account)
        session.flush()
        account_id = account.id
    citizen = Actor("citizen", account_id)
    with sessions() as session, session.begin():
        case = cases.new_draft(session, runtime, published["acte-naissance"], citizen, clock)
        case.answers = dict(BIRTH_ANSWERS)
        session.flush()
        cases.submit(session, runtime, case, citizen, clock, receipt=True)
        case_id = case.id
    with sessions() as session:
        to_citizen = session.scalars(
            sa.select(Notification).where(
                Notification.case_id == case_id, Notification.audience == "citizen"
            )
        ).all()
        mails = [
            m.payload
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.kind == "notify" and m.payload.get("to") == ["camille@example.org"]
        ]
    assert len(to_citizen) == 1 and len(mails) == 1  # the receipt, not a second message
    assert to_citizen[0].body.startswith("Bonjour Camille Martin,\n\n")


def test_the_receipt_says_when_the_legal_deadline_expires(sessions, runtime, published, clock):
    case_id = _submit(
        sessions,
        runtime,
        published["occupation-domaine-public"],
        terrace_answers(clock.now().date()),
        clock,
        receipt=True,
    )
    notes, _mails = _receipts(sessions, case_id)
    (_audience, _subject, body) = notes[0]
    paragraphs = body.split("\n\n")
    # greeting, received, the workflow's two paragraphs, the implicit rejection and its
    # day, the three paragraphs of the means and time limits of appeal, the service in
    # charge; without a link maker, no tracking line
    assert len(paragraphs) == 9
    assert paragraphs[4].startswith("Sans décision expresse de notre part au ")
    assert paragraphs[4].endswith(
        ", et si votre dossier est complet, votre demande sera réputée rejetée "
        "(décision implicite de rejet)."
    )
    assert paragraphs[5].startswith("Voies et délais de recours\u00a0: dans les deux mois")
    assert "tribunal administratif" in paragraphs[5] and "recours gracieux" in paragraphs[5]
    assert "L232-4" in paragraphs[7]
    # the department's own address and phone replace the authority's
    assert paragraphs[8] == (
        "Service chargé de votre demande\u00a0:\nDomaine public et commerce\n"
        "Ville de Valbois-sur-Loire\n"
        "Centre technique municipal, 12 rue des Tanneurs, 41000 Valbois-sur-Loire\n"
        "Téléphone\u00a0: 02 54 00 10 40\nCourriel\u00a0: domaine-public@valbois-sur-loire.fr"
    )


def test_no_receipt_unless_asked(sessions, runtime, published, clock):
    case_id = _submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    assert _receipts(sessions, case_id) == ([], [])
