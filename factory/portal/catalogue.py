"""The catalogue of procedures, and the public pages (accessibility, personal data)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..helpers import catalogue_entries

bp = Blueprint("portal", __name__, template_folder="templates")


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
    return render_template("portal/accessibility.html")


@bp.route("/donnees-personnelles")
def privacy():
    return render_template("portal/privacy.html")
