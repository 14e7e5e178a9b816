"""The catalogue of procedures, and the public pages (accessibility, personal data, legal
notice)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from .. import legal
from ..language import fold, text
from ..services import db, services

bp = Blueprint("portal", __name__, template_folder="templates")


@dataclass
class Entry:
    slug: str
    title: str
    summary: str
    category: str
    minutes: int | None
    login: str


def catalogue_entries(query: str = "") -> list[Entry]:
    state = services()
    session = db()
    entries = []
    # what each version shows is read once per process, without compiling the version
    for listing in state.runtime.catalogue.listings(session):
        entry = Entry(
            listing.slug,
            text(listing.title),
            text(listing.summary),
            text(listing.category) or _("Other procedures"),
            listing.estimated_minutes,
            listing.login,
        )
        haystack = fold(" ".join([entry.title, entry.summary, entry.category]))
        if all(word in haystack for word in fold(query).split()):
            entries.append(entry)
    return sorted(entries, key=lambda e: (fold(e.category), fold(e.title)))


@bp.route("/")
def catalogue():
    query = (request.args.get("q") or "").strip()
    entries = catalogue_entries(query)
    categories: dict[str, list] = {}
    for entry in entries:
        categories.setdefault(entry.category, []).append(entry)
    return render_template(
        "portal/catalogue.html", categories=categories, query=query, count=len(entries)
    )


@bp.route("/accessibilite")
def accessibility():
    return render_template(
        "portal/accessibility.html", statement=legal.site().accessibility if legal.site() else None
    )


@bp.route("/mentions-legales")
def legal_notice():
    site = legal.site()
    return render_template(
        "portal/legal_notice.html",
        notice=site.legal_notice if site else None,
        dpo=site.dpo if site else None,
    )


@bp.route("/donnees-personnelles")
def privacy():
    state = services()
    session = db()
    retention = []
    for row in state.runtime.catalogue.published(session):
        procedure = state.runtime.catalogue.compiled(session, row.id).procedure
        retention.append((text(procedure.title), procedure.retention_days))
    retention.sort(key=lambda item: fold(item[0]))
    return render_template(
        "portal/privacy.html",
        retention=retention,
        draft_days=current_app.config.get("DRAFT_RETENTION_DAYS"),
        dpo=legal.site().dpo if legal.site() else None,
    )
