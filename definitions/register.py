"""The register of processing activities (GDPR article 30) and each procedure's information
notice (article 13), from the procedures and the site config: one source for both.

:func:`activity` describes one procedure: its purpose, legal basis, the categories of
data its fields collect (from their types), its recipients (the departments it routes to
and the connectors it sends to), and its retention. :func:`register` lists them with the
controller (the authority, its address, its data protection officer); :func:`as_markdown`,
:func:`as_csv` and :func:`as_json` write it. Words are msgids, translated with
:func:`definitions.texts.translations`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from . import formats
from .model import Field, Procedure, RoutingRule
from .site import Site
from .texts import N_

#: GDPR article 6(1): each legal basis in words, with its point.
LEGAL_BASES = {
    "public_task": N_(
        "a task in the public interest or in the exercise of official authority"
        " (GDPR article 6(1)(e))"
    ),
    "legal_obligation": N_("a legal obligation of the controller (GDPR article 6(1)(c))"),
    "consent": N_("the consent of the person (GDPR article 6(1)(a))"),
    "contract": N_("a contract with the person, or steps before it (GDPR article 6(1)(b))"),
    "vital_interests": N_("the vital interests of a person (GDPR article 6(1)(d))"),
    "legitimate_interests": N_("the legitimate interests of the controller (GDPR article 6(1)(f))"),
}

#: The category of personal data a field type collects.
CATEGORIES = {
    "text": N_("identity and free text"),
    "textarea": N_("free text"),
    "email": N_("contact details (e-mail address)"),
    "phone": N_("contact details (phone number)"),
    "address": N_("postal address"),
    "location": N_("location"),
    "date": N_("dates (such as a date of birth)"),
    "integer": N_("numbers and amounts"),
    "decimal": N_("numbers and amounts"),
    "siret": N_("company identifier (SIRET)"),
    "iban": N_("bank details (IBAN)"),
    "file": N_("documents supplied"),
    "choice": N_("answers to the form's questions"),
    "multichoice": N_("answers to the form's questions"),
    "boolean": N_("answers to the form's questions"),
}
#: Autocomplete tokens that say a text field holds the person's identity.
IDENTITY_TOKENS = ("name", "given-name", "family-name", "additional-name", "bday")
IDENTITY = N_("civil status and identity")
OTHER = N_("other answers")


@dataclass(frozen=True)
class Activity:
    """One processing activity: a procedure, as the register and its notice read it."""

    procedure: str
    title: str
    purpose: str
    legal_basis: str  # the key (public_task…)
    legal_basis_text: str
    categories: tuple[str, ...]
    departments: tuple[str, ...]  # their names
    connectors: tuple[str, ...]  # "name (type)"
    retention_days: int | None
    retention_text: str


@dataclass(frozen=True)
class Register:
    controller: str
    address: str
    dpo: str
    activities: tuple[Activity, ...]


def _fields(fields: Iterable[Field]) -> Iterable[Field]:
    for field in fields:
        yield field
        yield from _fields(field.fields)


def categories(procedure: Procedure, gettext) -> tuple[str, ...]:
    """The categories of data the procedure's fields collect, in the order they come."""
    found: list[str] = []
    for field in _fields(procedure.form.fields):
        if not field.stores_value or field.type == "group":
            continue
        tokens = (field.autocomplete or "").split()
        if field.type in ("text", "date") and any(t in IDENTITY_TOKENS for t in tokens):
            word = IDENTITY
        else:
            word = CATEGORIES.get(field.type, OTHER)
        word = gettext(word)
        if word not in found:
            found.append(word)
    return tuple(found)


def recipients(procedure: Procedure) -> tuple[list[str], list[str]]:
    """The departments the procedure's requests go to, and the connectors it sends to."""
    departments = [procedure.department]
    connectors: list[str] = []
    workflow = procedure.workflow
    for state in workflow.states:
        where = state.department
        candidates = (
            [*where.map.values(), *([where.default] if where.default else [])]
            if isinstance(where, RoutingRule)
            else [where]
        )
        departments += [d for d in candidates if d]
    actions = [a for s in workflow.states for a in s.on_enter]
    actions += [a for t in workflow.transitions for a in t.on_fire]
    connectors = [a.target for a in actions if a.kind == "send" and a.target]
    return list(dict.fromkeys(departments)), list(dict.fromkeys(connectors))


def activity(
    procedure: Procedure, site: Site | None, gettext, language: str | None = None
) -> Activity:
    """One procedure's processing activity, in ``language``'s words."""
    departments, connectors = recipients(procedure)

    def department(key: str) -> str:
        if site is not None and key in site.departments:
            return site.departments[key].name.get(language)
        return key

    def connector(name: str) -> str:
        kind = site.connectors[name].type if site is not None and name in site.connectors else ""
        return f"{name} ({kind})" if kind else name

    days = procedure.retention_days
    if days:
        retention = gettext(N_("%(days)s days after the request is closed, then anonymised")) % {
            "days": formats.number(days, language)
        }
    else:
        retention = gettext(N_("no period set: closed requests are kept"))
    summary = procedure.summary.get(language) if procedure.summary else ""
    title = procedure.title.get(language)
    return Activity(
        procedure=procedure.slug,
        title=title,
        purpose=summary or gettext(N_("handling the request: %(title)s")) % {"title": title},
        legal_basis=procedure.legal_basis,
        legal_basis_text=gettext(LEGAL_BASES.get(procedure.legal_basis, procedure.legal_basis)),
        categories=categories(procedure, gettext),
        departments=tuple(department(d) for d in departments),
        connectors=tuple(connector(c) for c in connectors),
        retention_days=days,
        retention_text=retention,
    )


def register(
    procedures: Iterable[Procedure], site: Site | None, gettext, language: str | None = None
) -> Register:
    """The register of processing activities of ``procedures`` (the newest version of each
    slug), sorted by title."""
    newest: dict[str, Procedure] = {}
    for procedure in procedures:
        if procedure.slug not in newest or procedure.version > newest[procedure.slug].version:
            newest[procedure.slug] = procedure
    activities = sorted(
        (activity(p, site, gettext, language) for p in newest.values()),
        key=lambda a: a.title.casefold(),
    )
    dpo = ""
    if site is not None and site.dpo is not None:
        name = site.dpo.name.get(language) if site.dpo.name else ""
        dpo = ", ".join(x for x in (name, site.dpo.email) if x)
    return Register(
        controller=site.authority.get(language) if site is not None else "",
        address=site.address.get(language) if site is not None and site.address else "",
        dpo=dpo,
        activities=tuple(activities),
    )


COLUMNS = (
    ("procedure", N_("Procedure")),
    ("title", N_("Processing")),
    ("purpose", N_("Purpose")),
    ("legal_basis_text", N_("Legal basis")),
    ("categories", N_("Categories of data")),
    ("departments", N_("Recipients: departments")),
    ("connectors", N_("Recipients: connected systems")),
    ("retention_text", N_("Retention")),
)


def _cell(value) -> str:
    return "; ".join(value) if isinstance(value, tuple) else str(value)


TITLE = N_("Register of processing activities")
CONTROLLER = N_("Controller")
ADDRESS = N_("Address")
DPO = N_("Data protection officer")


def as_markdown(book: Register, gettext) -> str:
    """The register as a Markdown document."""
    lines = ["# " + gettext(TITLE), ""]
    for label, value in ((CONTROLLER, book.controller), (ADDRESS, book.address), (DPO, book.dpo)):
        lines.append(f"- {gettext(label)}: {value or '—'}")
    lines.append("")
    for item in book.activities:
        lines += [f"## {item.title}", ""]
        for key, label in COLUMNS[2:]:
            lines.append(f"- {gettext(label)}: {_cell(getattr(item, key)) or '—'}")
        lines.append("")
    return "\n".join(lines)


def as_csv(book: Register, gettext) -> str:
    """The register as CSV, one processing activity a row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(CONTROLLER), *(gettext(label) for _key, label in COLUMNS)])
    for item in book.activities:
        writer.writerow([book.controller, *(_cell(getattr(item, key)) for key, _ in COLUMNS)])
    return out.getvalue()


def as_json(book: Register) -> str:
    """The register as JSON."""
    return json.dumps(asdict(book), ensure_ascii=False, indent=2)
