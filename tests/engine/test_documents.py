"""Receipts, certificates of implicit decision and the workflow's documents, read back from
the PDFs: every mention the law asks for, the dates, the language, the tags, PDF/A."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from connectors.email import EmailConnector
from definitions.workflow_library import WorkflowLibrary
from engine import cases, receipts
from engine.catalogue import publish
from engine.models import Case, Document, Notification, OutboxMessage
from engine.worker import Worker
from engine.workflow import Actor

from ..conftest import EXAMPLES
from ..engine_helpers import BIRTH_ANSWERS, RecordingConnector, terrace_answers
from ..pdf_reading import facts, need_weasyprint, text_of

PUBLIC_DOMAIN = Actor("agent", None, frozenset({"domaine-public"}))


@pytest.fixture(autouse=True)
def _weasyprint():
    need_weasyprint()


def _submit(sessions, runtime, version, answers, clock) -> int:
    with sessions() as session, session.begin():
        return cases.submit_answers(
            session, runtime, version, dict(answers), Actor("citizen"), clock
        ).id


def _fire(sessions, runtime, clock, case_id, transition, actor, values=None) -> None:
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        cases.fire(session, runtime, case, transition, actor, clock, values=values)


def _receipt_pdf(sessions, runtime, case_id) -> bytes:
    with sessions() as session:
        case = session.get(Case, case_id)
        compiled = runtime.catalogue.compiled(session, case.version_id)
        return receipts.receipt_pdf(receipts.receipt_of(runtime, compiled, case))


@pytest.fixture
def terrace_sva(sessions, runtime, clock):
    """The terrace permit as if its silence meant acceptance (the clock's default)."""
    source = (EXAMPLES / "occupation-domaine-public.yaml").read_text("utf-8")
    source = "\n".join(
        line for line in source.splitlines() if not line.strip().startswith("silence:")
    ).replace("procedure: occupation-domaine-public", "procedure: terrasse-sva")
    library = WorkflowLibrary(EXAMPLES / "workflows", runtime.site)
    with sessions() as session, session.begin():
        return publish(session, runtime, source, workflows=library.all_sources(), clock=clock)


def _accessible_and_archivable(data: bytes, title: str) -> None:
    found = facts(data)
    assert found["lang"] == "fr"
    assert found["marked"] and found["structure"]  # tagged: MarkInfo and a structure tree
    assert found["pdfa"] == ("3", "A")  # PDF/A-3, accessible level
    assert found["pdfua"] == "1" and found["display_title"]  # PDF/UA-1: its title shown
    assert found["title"].startswith(title)


# -- receipts ----------------------------------------------------------------------------------


def test_the_receipt_of_a_procedure_without_clock_says_no_implicit_decision(
    sessions, runtime, published, clock
):
    case_id = _submit(sessions, runtime, published["acte-naissance"], BIRTH_ANSWERS, clock)
    data = _receipt_pdf(sessions, runtime, case_id)
    _accessible_and_archivable(data, "Accusé de réception")
    text = text_of(data)
    assert "Nous avons bien reçu votre demande AN-2026-000001 le 2 mars 2026." in text
    assert "ne donne lieu à aucune décision implicite" in text
    # the service in charge: its name, a postal address, a phone and an e-mail (R112-11-1, 2°)
    assert "État civil" in text and "Ville de Valbois-sur-Loire" in text
    assert "Hôtel de ville, 1 place de la Mairie, 41000 Valbois-sur-Loire" in text
    assert "Téléphone : 02 54 00 10 00" in text
    assert "Courriel : etat-civil@valbois-sur-loire.fr" in text
    assert "réputée" not in text and "recours" not in text and "L232-3" not in text


def test_the_receipt_of_an_svr_gives_the_day_of_the_implicit_rejection_and_how_to_appeal(
    sessions, runtime, published, clock
):
    answers = terrace_answers(clock.now().date())
    case_id = _submit(sessions, runtime, published["occupation-domaine-public"], answers, clock)
    text = text_of(_receipt_pdf(sessions, runtime, case_id))
    # filed on 2 March 2026: two months later, 2 May
    assert (
        "Sans décision expresse de notre part au 2 mai 2026, et si votre dossier est complet, "
        "votre demande sera réputée rejetée (décision implicite de rejet)."
    ) in text
    assert "Voies et délais de recours" in text
    assert "dans les deux mois suivant le rejet implicite" in text
    assert "recours gracieux" in text and "tribunal administratif" in text
    assert "Télérecours citoyens" in text and "L232-4" in text
    assert "réputée acceptée" not in text and "L232-3" not in text
    # the department's own address and phone
    assert "Domaine public et commerce" in text
    assert "12 rue des Tanneurs, 41000 Valbois-sur-Loire" in text
    assert "02 54 00 10 40" in text and "domaine-public@valbois-sur-loire.fr" in text


def test_the_receipt_of_an_sva_gives_the_day_of_acceptance_and_the_certificate(
    sessions, runtime, terrace_sva, clock
):
    answers = terrace_answers(clock.now().date())
    case_id = _submit(sessions, runtime, terrace_sva, answers, clock)
    text = text_of(_receipt_pdf(sessions, runtime, case_id))
    assert (
        "Sans décision expresse de notre part au 2 mai 2026, et si votre dossier est complet, "
        "votre demande sera réputée acceptée (décision implicite d'acceptation)."
    ) in text
    assert "attestation de cette décision implicite (article L232-3" in text
    assert "recours" not in text and "réputée rejetée" not in text


def test_the_receipt_mail_carries_the_same_mentions(sessions, runtime, published, clock):
    answers = terrace_answers(clock.now().date())
    with sessions() as session, session.begin():
        case = cases.new_draft(
            session, runtime, published["occupation-domaine-public"], Actor("citizen"), clock
        )
        case.answers = answers
        session.flush()
        cases.submit(session, runtime, case, Actor("citizen"), clock, receipt=True)
        case_id = case.id
    with sessions() as session:
        (mail,) = [
            m.payload
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.payload.get("subject", "").startswith("Accusé")
        ]
    assert "réputée rejetée" in mail["text"] and "2 mai 2026" in mail["text"]
    assert "Voies et délais de recours" in mail["text"]
    assert "02 54 00 10 40" in mail["text"]


# -- certificates of implicit decision -----------------------------------------------------


def _expire(sessions, runtime, clock, case_id) -> None:
    clock.advance(dt.timedelta(days=62))
    Worker(runtime, sessions, RecordingConnector(), clock=clock).run_timers()
    with sessions() as session:
        assert session.get(Case, case_id).state == "rejetee_implicitement"


def test_no_certificate_before_the_clock_runs_out(sessions, runtime, published, clock):
    answers = terrace_answers(clock.now().date())
    case_id = _submit(sessions, runtime, published["occupation-domaine-public"], answers, clock)
    with sessions() as session:
        case = session.get(Case, case_id)
        compiled = runtime.catalogue.compiled(session, case.version_id)
        assert receipts.implicit_decision(session, runtime, compiled, case) is None


def test_the_certificate_of_an_implicit_acceptance(sessions, runtime, terrace_sva, clock):
    case_id = _submit(sessions, runtime, terrace_sva, terrace_answers(clock.now().date()), clock)
    _expire(sessions, runtime, clock, case_id)
    with sessions() as session:
        case = session.get(Case, case_id)
        compiled = runtime.catalogue.compiled(session, case.version_id)
        decision = receipts.implicit_decision(session, runtime, compiled, case)
        assert decision == receipts.ImplicitDecision("acceptance", dt.date(2026, 5, 2))
        data = receipts.certificate_pdf(receipts.receipt_of(runtime, compiled, case), decision)
    _accessible_and_archivable(data, "Attestation de décision implicite d'acceptation")
    text = text_of(data)
    assert f"Ville de Valbois-sur-Loire atteste que la demande {case.reference}" in text
    assert "reçue le 2 mars 2026, n'a pas fait l'objet d'une décision expresse" in text
    assert "Une décision implicite d'acceptation est née le 2 mai 2026" in text
    assert "L232-3" in text and "recours" not in text


def test_the_certificate_of_an_implicit_rejection_says_how_to_appeal(
    sessions, runtime, published, clock
):
    answers = terrace_answers(clock.now().date())
    case_id = _submit(sessions, runtime, published["occupation-domaine-public"], answers, clock)
    _expire(sessions, runtime, clock, case_id)
    with sessions() as session:
        case = session.get(Case, case_id)
        compiled = runtime.catalogue.compiled(session, case.version_id)
        decision = receipts.implicit_decision(session, runtime, compiled, case)
        data = receipts.certificate_pdf(receipts.receipt_of(runtime, compiled, case), decision)
    _accessible_and_archivable(data, "Attestation de décision implicite de rejet")
    text = text_of(data)
    assert f"Ville de Valbois-sur-Loire atteste que la demande {case.reference}" in text
    assert "Une décision implicite de rejet est née le 2 mai 2026" in text
    assert "Voies et délais de recours" in text and "tribunal administratif" in text


# -- documents of the workflow ---------------------------------------------------------------


def _granted(sessions, runtime, published, clock) -> int:
    answers = terrace_answers(clock.now().date())
    case_id = _submit(sessions, runtime, published["occupation-domaine-public"], answers, clock)
    _fire(sessions, runtime, clock, case_id, "prendre_en_charge", PUBLIC_DOMAIN)
    _fire(
        sessions,
        runtime,
        clock,
        case_id,
        "accorder",
        PUBLIC_DOMAIN,
        {"surface_accordee": 20, "prescriptions": "Passage de 1,40 m <préservé>"},
    )
    return case_id


def test_the_arrete_is_written_hashed_and_attached_to_the_mail(sessions, runtime, published, clock):
    case_id = _granted(sessions, runtime, published, clock)
    with sessions() as session:
        (document,) = session.scalars(sa.select(Document).where(Document.case_id == case_id))
        reference = session.get(Case, case_id).reference
        data = document.content
        assert document.name == f"Arrêté {reference}"
        assert document.filename == f"arrete-{reference.lower()}.pdf"
        assert document.template == "arrete-terrasse"
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.size == len(data)
        granted = session.get(Notification, document.notification_id)
        assert granted.subject.endswith("autorisation accordée")
        (row,) = [
            m
            for m in session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id)
            )
            if m.payload.get("documents")
        ]
        assert row.payload["documents"] == [document.id]
        assert "attachments" not in row.payload  # the row keeps ids, not bytes
    _accessible_and_archivable(data, "Arrêté d'occupation du domaine public")
    text = text_of(data)
    assert f"Arrêté n° {reference}" in text
    assert "SARL Le Bistrot du Quai (SIRET 44123987800024)" in text
    assert "sur une surface de 20 m², du 1 mai 2026 au 28 octobre 2026" in text
    # the agent's words are escaped, not read as HTML
    assert "Passage de 1,40 m <préservé>" in text

    recorder = RecordingConnector()
    Worker(runtime, sessions, recorder, clock=clock).run_outbox()
    (delivery,) = [d for d in recorder.calls if d.payload.get("documents")]
    (attached,) = delivery.payload["attachments"]
    assert base64.b64decode(attached["content"]) == data
    mail = EmailConnector("mail", {"from": "x@example.org", "folder": "unused"}).message(delivery)
    (part,) = list(mail.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == f"arrete-{reference.lower()}.pdf"
    assert part.get_content() == data


def test_a_document_that_cannot_be_rendered_is_audited_and_the_step_goes_on(
    sessions, runtime, published, clock, monkeypatch
):
    from engine import documents
    from engine.models import AuditEvent
    from engine.pdf import PdfUnavailable

    def unavailable(_html):
        raise PdfUnavailable("no Pango here")

    monkeypatch.setattr(documents, "render_pdf", unavailable)
    case_id = _granted(sessions, runtime, published, clock)
    with sessions() as session:
        assert session.get(Case, case_id).state == "accordee"
        assert session.scalars(sa.select(Document)).all() == []
        (failure,) = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == documents.DOCUMENT_FAILED)
        )
        assert "no Pango here" in failure.detail["reason"]


def test_a_template_without_html_is_made_a_whole_document():
    from engine.documents import as_document

    page = as_document("<p>Bonjour</p>", "fr", "Attestation & reçu")
    assert page.startswith('<!doctype html><html lang="fr">')
    assert "<title>Attestation &amp; reçu</title>" in page
    bare = as_document("<html><body>x</body></html>", "fr", "T")
    assert bare.startswith('<html lang="fr"><head><title>T</title></head>')


def test_a_clock_of_the_authority_s_own_is_a_commitment_without_implicit_decision():
    receipt = receipts.Receipt(
        language="fr",
        authority="Ville de Valbois-sur-Loire",
        title="Signalement",
        reference="SV-2026-000001",
        received=dt.date(2026, 3, 2),
        department="Voirie",
        address=None,
        phone=None,
        email="voirie@valbois-sur-loire.fr",
        silence=receipts.NONE,
        expires=dt.date(2026, 3, 16),
        span=None,
    )
    (said,) = receipts.silence_paragraphs(receipt)
    assert said.startswith("Nous nous engageons à vous répondre au plus tard le 16 mars 2026.")
    assert "ne vaut ni acceptation ni rejet" in said
    # a clock that has not started yet: its length instead of a day
    not_started = dataclasses.replace(
        receipt, silence=receipts.ACCEPTANCE, expires=None, span="2 mois"
    )
    (when, certificate) = receipts.silence_paragraphs(not_started)
    assert "dans un délai de 2 mois à compter de la réception d'un dossier complet" in when
    assert "L232-3" in certificate


def test_the_clock_s_length_in_words():
    from engine import texts

    assert texts.clock_span("fr", None, 2, False) == "2 mois"
    assert texts.clock_span("fr", 30, None, True) == "30 jours ouvrés"
    assert texts.clock_span("fr", 1, None, False) == "1 jour"


def test_a_document_loads_nothing_but_data_addresses():
    """A template's images and style sheets come only from data: addresses: a file or an
    http address is left out (never read), and the document is still written."""
    from engine.pdf import render_pdf

    from ..pdf_reading import reader

    pixel = base64.b64encode(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4a10000000049454e44ae426082"
    )).decode()
    data = render_pdf(
        '<html lang="fr"><head><title>Essai</title>'
        '<link rel="stylesheet" href="file:///etc/hostname"></head><body><p>Logo</p>'
        f'<img alt="logo" src="data:image/png;base64,{pixel}">'
        '<img alt="distant" src="http://127.0.0.1:9/logo.png">'
        '<img alt="fichier" src="file:///etc/hostname"></body></html>'
    )
    (page,) = reader(data).pages
    images = page["/Resources"].get("/XObject", {})
    assert len(images) == 1  # the data: image only
    assert facts(data)["pdfua"] == "1"
