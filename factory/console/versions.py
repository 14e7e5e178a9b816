"""The console's pages about a procedure's versions: comparing two of them, and the cases
still running on each (shown before publishing)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import format_number
from flask_babel import lazy_gettext as _l

from engine.models import ProcedureVersion
from engine.versions import running_cases, source_diff, summary

from ..language import text
from ..params import parse_int
from ..services import db, services
from ..wording import state_label
from .views import admin_required, bp

KINDS = {
    "page": _l("Page"),
    "field": _l("Field"),
    "state": _l("Workflow state"),
    "transition": _l("Transition"),
}
CHANGES = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}


def versions_of(slug: str) -> list[ProcedureVersion]:
    """The versions of ``slug``, newest first; a 404 when it has none."""
    rows = list(
        db().scalars(
            sa.select(ProcedureVersion)
            .where(ProcedureVersion.slug == slug)
            .order_by(ProcedureVersion.version.desc())
        )
    )
    if not rows:
        abort(404)
    return rows


def compiled(row: ProcedureVersion):
    return services().runtime.catalogue.compiled(db(), row.id).procedure


def _chosen(rows: list[ProcedureVersion], name: str, default: ProcedureVersion):
    """The version numbered by the query's ``name``; the default when absent or unknown."""
    number = parse_int((request.args.get(name) or "").strip(), 1, 1_000_000)
    return next((r for r in rows if r.version == number), default)


@bp.route("/procedures/<slug>/comparer")
@admin_required
def compare_versions(slug: str):
    rows = versions_of(slug)
    new = _chosen(rows, "a", rows[0])
    old = _chosen(rows, "de", rows[1] if len(rows) > 1 else rows[0])
    changes = summary(compiled(old), compiled(new)) if old.id != new.id else []
    return render_template(
        "console/compare.html",
        slug=slug,
        versions=rows,
        old=old,
        new=new,
        diff=source_diff(old.source, new.source) if old.id != new.id else [],
        changes=[
            (
                KINDS[c.kind],
                c.id,
                text(c.label) if c.label else "",
                c.change,
                CHANGES[c.change],
                c.what,
            )
            for c in changes
        ],
    )


def impact(slug: str) -> list[tuple[int, list[tuple[str, int]], int]]:
    """The running cases of ``slug``: (version, [(state label, count)], total) by version."""
    found: dict[int, tuple[int, list[tuple[str, int]]]] = {}
    for row in running_cases(db(), slug):
        workflow = services().runtime.catalogue.compiled(db(), row.version_id).procedure.workflow
        version, states = found.setdefault(row.version_id, (row.version, []))
        states.append((state_label(workflow, row.state), row.count))
    return [(v, states, sum(n for _, n in states)) for v, states in found.values()]


@bp.app_template_global("console_running_cases")
def console_running_cases(slug: str):
    """For the console's templates: :func:`impact`."""
    return impact(slug)


@bp.app_template_filter("console_number")
def console_number(value: int) -> str:
    """A number as French readers write it (``20 000``)."""
    return format_number(value)
