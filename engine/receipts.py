"""What the law makes the authority say of a request: the acknowledgement of receipt
(CRPA L112-11, R112-11-1, R112-5) and the certificate of an implicit decision (L232-3).

:func:`receipt_of` gathers the facts of a submitted case (the day it was received, the
service in charge and how to reach it, what the authority's silence will mean and from
which day); :func:`receipt_paragraphs` and :func:`certificate_paragraphs` say them in the
site's language, the same words in the receipt mail, on the receipt page and in the PDFs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import texts
from .catalogue import Runtime
from .models import Case, CaseEvent
from .workflow import CompiledProcedure

#: What the silence of the authority can mean: the clock's ``silence``, or no clock at all.
ACCEPTANCE, REJECTION, NONE = "acceptance", "rejection", "none"


@dataclass(frozen=True, slots=True)
class Receipt:
    """The facts an acknowledgement of receipt states (R112-11-1)."""

    language: str
    authority: str
    title: str
    reference: str
    received: dt.date
    department: str
    address: str | None
    phone: str | None
    email: str | None
    #: acceptance | rejection | none (none: no clock, or a clock of the authority's own)
    silence: str
    #: the day silence takes effect (the clock's expiry), when the clock runs already
    expires: dt.date | None
    #: the clock's length in words ("2 mois", "60 jours"), for a clock not started yet
    span: str | None


@dataclass(frozen=True, slots=True)
class ImplicitDecision:
    """An implicit decision born of the authority's silence at the clock's expiry."""

    silence: str  # acceptance | rejection
    day: dt.date


def _day(runtime: Runtime, moment: dt.datetime) -> dt.date:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # stored as UTC
    return runtime.calendar.today(moment)


def _language(runtime: Runtime) -> str:
    return runtime.site.languages[0] if runtime.site else "fr"


def receipt_of(runtime: Runtime, compiled: CompiledProcedure, case: Case) -> Receipt:
    """The acknowledgement of receipt of a submitted ``case``."""
    language = _language(runtime)
    procedure = compiled.procedure
    clock = procedure.workflow.clock
    site = runtime.site
    department_name = case.department or procedure.department
    address = phone = email = None
    authority = ""
    if site is not None:
        authority = site.authority.get(language)
        if case.department in site.departments:
            department_name = site.departments[case.department].name.get(language)
        where, phone, email = site.contact(case.department)
        address = where.get(language) if where is not None else None
    span = None
    if clock is not None and case.clock_expires_at is None:
        span = texts.clock_span(language, clock.days, clock.months, clock.working_days)
    return Receipt(
        language=language,
        authority=authority,
        title=procedure.title.get(language),
        reference=case.reference or "",
        received=_day(runtime, case.submitted_at),
        department=department_name,
        address=address,
        phone=phone,
        email=email,
        silence=clock.silence if clock is not None else NONE,
        expires=_day(runtime, case.clock_expires_at) if case.clock_expires_at else None,
        span=span,
    )


def implicit_decision(
    session: Session, runtime: Runtime, compiled: CompiledProcedure, case: Case
) -> ImplicitDecision | None:
    """The implicit decision of ``case``: when its legal clock ran out (the timer fired
    the clock's transition) and silence means acceptance or rejection; else None. Its day
    is the clock's expiry."""
    clock = compiled.procedure.workflow.clock
    if clock is None or clock.silence == NONE or case.submitted_at is None:
        return None
    fired = session.scalar(
        sa.select(CaseEvent.at)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "transition",
            CaseEvent.transition == clock.fire,
            CaseEvent.actor_kind == "timer",
        )
        .order_by(CaseEvent.id)
        .limit(1)
    )
    if fired is None:
        return None
    # born when the clock ran out (the worker may fire it a little later); the expiry is
    # kept on the case when it closes
    born = case.clock_expires_at if case.clock_expires_at is not None else fired
    return ImplicitDecision(clock.silence, _day(runtime, min(born, fired)))


def contact_lines(receipt: Receipt) -> tuple[str, ...]:
    """The service in charge and how to reach it (R112-11-1, 2°)."""
    t = texts.translations(receipt.language)
    lines = [receipt.department]
    if receipt.authority:
        lines.append(receipt.authority)
    if receipt.address:
        lines.append(receipt.address)
    if receipt.phone:
        lines.append(t.gettext("Phone: %(phone)s") % {"phone": receipt.phone})
    if receipt.email:
        lines.append(t.gettext("E-mail: %(email)s") % {"email": receipt.email})
    return tuple(lines)


def silence_paragraphs(receipt: Receipt) -> tuple[str, ...]:
    """What the authority's silence will mean, from which day, and what follows from it
    (R112-11-1: the possibility of a certificate, or the means and time limits of appeal)."""
    from definitions import formats

    t = texts.translations(receipt.language)
    values = {
        "date": formats.date(receipt.expires, receipt.language) if receipt.expires else "",
        "span": receipt.span or "",
        "authority": receipt.authority or t.gettext("the authority"),
    }
    if receipt.silence == ACCEPTANCE:
        when = (
            t.gettext(
                "Without an express decision by %(date)s, and provided your file is complete, "
                "your request will be deemed accepted (implicit decision of acceptance)."
            )
            if receipt.expires
            else t.gettext(
                "Without an express decision within %(span)s of receiving a complete file, "
                "your request will be deemed accepted (implicit decision of acceptance)."
            )
        )
        return (
            when % values,
            t.gettext(
                "You may then obtain a certificate of this implicit decision (article L232-3 "
                "of the code des relations entre le public et l'administration): it can be "
                "downloaded from your personal space as soon as the decision exists."
            ),
        )
    if receipt.silence == REJECTION:
        when = (
            t.gettext(
                "Without an express decision by %(date)s, and provided your file is complete, "
                "your request will be deemed rejected (implicit decision of rejection)."
            )
            if receipt.expires
            else t.gettext(
                "Without an express decision within %(span)s of receiving a complete file, "
                "your request will be deemed rejected (implicit decision of rejection)."
            )
        )
        return (when % values, *appeal_paragraphs(receipt.language, receipt.authority))
    if receipt.expires:
        return (
            t.gettext(
                "We undertake to answer you by %(date)s. This request gives rise to no implicit "
                "decision: the silence of the authority means neither acceptance nor rejection."
            )
            % values,
        )
    return (
        t.gettext(
            "This request gives rise to no implicit decision: the silence of the authority "
            "means neither acceptance nor rejection."
        ),
    )


def appeal_paragraphs(language: str, authority: str) -> tuple[str, ...]:
    """The means and time limits of appeal against an implicit rejection."""
    t = texts.translations(language)
    values = {"authority": authority or t.gettext("the authority")}
    return (
        t.gettext(
            "Means and time limits of appeal: within two months of the implicit rejection, "
            "you may ask %(authority)s to reconsider it (recours gracieux), or bring the case "
            "before the competent administrative court (tribunal administratif), also online "
            "with the Télérecours citoyens application (www.telerecours.fr)."
        )
        % values,
        t.gettext(
            "A recours gracieux made within these two months extends the time limit: the "
            "court may then be seized within two months of the answer, or of its implicit "
            "rejection after two months of silence."
        ),
        t.gettext(
            "Within the same two months you may ask for the grounds of the implicit "
            "rejection; they are given to you within one month, and the time limit for "
            "going to court runs again from then (article L232-4 of the code des relations "
            "entre le public et l'administration)."
        ),
    )


def receipt_paragraphs(receipt: Receipt) -> tuple[str, ...]:
    """The acknowledgement of receipt in words: the day of receipt and the reference, what
    silence will mean, then the service in charge (one paragraph of lines)."""
    from definitions import formats

    t = texts.translations(receipt.language)
    return (
        t.gettext("We have received your request %(reference)s on %(date)s.")
        % {
            "reference": receipt.reference,
            "date": formats.date(receipt.received, receipt.language),
        },
        *silence_paragraphs(receipt),
        t.gettext("Service in charge of your request:") + "\n" + "\n".join(contact_lines(receipt)),
    )


def certificate_paragraphs(receipt: Receipt, decision: ImplicitDecision) -> tuple[str, ...]:
    """The certificate of an implicit decision (L232-3) in words."""
    from definitions import formats

    t = texts.translations(receipt.language)
    values = {
        "reference": receipt.reference,
        "title": receipt.title,
        "received": formats.date(receipt.received, receipt.language),
        "date": formats.date(decision.day, receipt.language),
        "authority": receipt.authority or t.gettext("the authority"),
    }
    lines = [
        t.gettext(
            "%(authority)s certifies that the request %(reference)s (%(title)s), received on "
            "%(received)s, received no express decision within the time limit set by law."
        )
        % values
    ]
    if decision.silence == ACCEPTANCE:
        lines.append(
            t.gettext(
                "An implicit decision of acceptance was born on %(date)s (articles L231-1 and "
                "L232-3 of the code des relations entre le public et l'administration)."
            )
            % values
        )
    else:
        lines.append(
            t.gettext(
                "An implicit decision of rejection was born on %(date)s (articles L231-4 and "
                "L232-4 of the code des relations entre le public et l'administration)."
            )
            % values
        )
        lines.extend(appeal_paragraphs(receipt.language, receipt.authority))
    lines.append(
        t.gettext("Service in charge of your request:") + "\n" + "\n".join(contact_lines(receipt))
    )
    return tuple(lines)


def receipt_title(language: str) -> str:
    return texts.translations(language).gettext("Acknowledgement of receipt")


def certificate_title(language: str, decision: ImplicitDecision) -> str:
    t = texts.translations(language)
    if decision.silence == ACCEPTANCE:
        return t.gettext("Certificate of implicit decision of acceptance")
    return t.gettext("Certificate of implicit decision of rejection")


def receipt_pdf(receipt: Receipt) -> bytes:
    """The acknowledgement of receipt as a tagged, archivable PDF."""
    from .pdf import legal_document, render_pdf

    return render_pdf(
        legal_document(
            receipt.language,
            receipt_title(receipt.language),
            receipt.authority,
            receipt_paragraphs(receipt),
            receipt.reference,
        )
    )


def certificate_pdf(receipt: Receipt, decision: ImplicitDecision) -> bytes:
    """The certificate of an implicit decision (L232-3) as a tagged, archivable PDF."""
    from .pdf import legal_document, render_pdf

    return render_pdf(
        legal_document(
            receipt.language,
            certificate_title(receipt.language, decision),
            receipt.authority,
            certificate_paragraphs(receipt, decision),
            receipt.reference,
        )
    )
