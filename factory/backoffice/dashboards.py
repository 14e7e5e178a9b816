"""Dashboards and the CSV export of the back office.

A dashboard only reads the rollups the worker refreshes (``engine.rollups``): a request never
aggregates cases. Charts are inline SVG drawn here, without JavaScript; each has a title and a
description, and its figures follow in a table for screen readers.

The export streams: rows are fetched in batches (a server-side cursor on PostgreSQL) and
written as they come, never all in memory. Staff only ever see their departments.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from engine.models import Account, Case, ProcedureVersion, Rollup
from engine.rollups import MARKER

from ..access import staff_required
from ..language import text
from ..services import db, services
from ..wording import state_label

#: one blueprint for the dashboards (under /agents/tableaux-de-bord) and the export, which
#: lives beside the inbox (/agents/export.csv)
bp = Blueprint("dashboards", __name__, url_prefix="/agents", template_folder="templates")
BOARDS = "/tableaux-de-bord"

EXPORT_BATCH = 500


# -- charts ------------------------------------------------------------------------------------


@dataclass
class Chart:
    id: str
    title: str
    description: str
    bars: list[tuple[str, float | int | None]]
    unit: str = ""

    @property
    def svg(self) -> Markup:
        return bar_chart(self)


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def bar_chart(chart: Chart, width: int = 640, bar: int = 22, gap: int = 8) -> Markup:
    """A horizontal bar chart as inline SVG, with a <title> and a <desc>."""
    label_width, value_width = 190, 70
    room = width - label_width - value_width
    highest = max((v or 0 for _label, v in chart.bars), default=0) or 1
    height = max(len(chart.bars), 1) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart.id}-title {chart.id}-desc">',
        f'<title id="{chart.id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.id}-desc">{escape(chart.description)}</desc>',
    ]
    for index, (label, value) in enumerate(chart.bars):
        y = gap + index * (bar + gap)
        length = round(room * (value or 0) / highest, 1)
        shown = _number(value) + (f" {chart.unit}" if chart.unit and value is not None else "")
        parts.append(
            f'<g><text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" '
            f'font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}" '
            f'fill="#000091"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + bar * 0.7:.1f}" '
            f'font-size="13">{escape(shown)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _state_labels(slug: str) -> tuple[str, dict[str, str]]:
    """The procedure's title and its states' labels (from the catalogue, not from cases)."""
    session = db()
    catalogue = services().runtime.catalogue
    version = catalogue.current(session, slug)
    if version is None:
        return slug, {}
    procedure = catalogue.compiled(session, version.id).procedure
    workflow = procedure.workflow
    return text(procedure.title), {s.id: state_label(workflow, s.id) for s in workflow.states}


def charts(data: dict[str, Any], states: dict[str, str], prefix: str = "") -> list[Chart]:
    processing = data.get("processing_days", {})
    satisfaction = data.get("satisfaction", {})
    expiring = data.get("expiring", {})
    open_by_state = data.get("open_by_state", {})
    return [
        Chart(
            f"{prefix}open-by-state",
            _("Open requests by state"),
            _("%(number)s open requests in all.", number=data.get("open", 0)),
            [(states.get(state, state), n) for state, n in sorted(open_by_state.items())],
        ),
        Chart(
            f"{prefix}filed-per-week",
            _("Requests filed per week"),
            _("Requests filed in each of the last 12 weeks, the oldest first."),
            [(week["week"], week["count"]) for week in data.get("filed_per_week", [])],
        ),
        Chart(
            f"{prefix}processing-time",
            _("Processing time, in days"),
            _(
                "From filing to decision, for the %(number)s requests closed in the last "
                "90 days: the median, and the time within which 90%% of them were closed.",
                number=processing.get("closed", 0),
            ),
            [
                (_("Median"), processing.get("median")),
                (_("90th percentile"), processing.get("p90")),
            ],
            unit=_("days"),
        ),
        Chart(
            f"{prefix}deadlines",
            _("Overdue requests and legal deadlines"),
            _("Open requests past a deadline, and legal deadlines expiring within 7 and 30 days."),
            [
                (_("Overdue"), data.get("overdue", 0)),
                (_("Expiring within 7 days"), expiring.get("7", 0)),
                (_("Expiring within 30 days"), expiring.get("30", 0)),
            ],
        ),
        Chart(
            f"{prefix}satisfaction",
            _("Satisfaction"),
            _(
                "%(count)s ratings, %(average)s out of 5 on average; the number of each "
                "rating from 1 to 5.",
                count=satisfaction.get("count", 0),
                average=_number(satisfaction.get("average")),
            ),
            [
                (_("%(rating)s out of 5", rating=rating), n)
                for rating, n in sorted(satisfaction.get("ratings", {}).items())
            ],
        ),
    ]


# -- dashboards --------------------------------------------------------------------------------


def _mine() -> list[str]:
    return sorted(current_user.departments)


@bp.route(BOARDS + "/")
@staff_required
def index():
    found = db().execute(
        sa.select(Rollup.procedure, Rollup.department, Rollup.computed_at)
        .where(Rollup.department.in_(_mine()), Rollup.procedure != MARKER[0])
        .order_by(Rollup.procedure, Rollup.department)
    )
    return render_template("dashboards/index.html", rollups=found.all())


@bp.route(BOARDS + "/<slug>")
@staff_required
def dashboard(slug: str):
    """A procedure's dashboard: one part per department of the agent (or the one asked)."""
    departments = _mine()
    asked = request.args.get("departement")
    if asked:
        if asked not in departments:
            abort(404)
        departments = [asked]
    found = db().scalars(
        sa.select(Rollup)
        .where(Rollup.procedure == slug, Rollup.department.in_(departments))
        .order_by(Rollup.department)
    )
    title, states = _state_labels(slug)
    boards = [(rollup, charts(rollup.data, states, f"{rollup.department}-")) for rollup in found]
    return render_template(
        "dashboards/dashboard.html",
        boards=boards,
        title=title,
        procedure=slug,
        number=_number,
    )


# -- the CSV export ----------------------------------------------------------------------------

FIXED_COLUMNS = (
    "reference",
    "procedure",
    "version",
    "state",
    "department",
    "channel",
    "submitted_at",
    "closed_at",
    "assignee",
)
#: what a spreadsheet would read as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _field_ids(slug: str) -> list[str]:
    """The top-level field ids of every published version, the newest version's first."""
    session = db()
    catalogue = services().runtime.catalogue
    ids: list[str] = []
    versions = session.scalars(
        sa.select(ProcedureVersion.id)
        .where(ProcedureVersion.slug == slug)
        .order_by(ProcedureVersion.version.desc())
    ).all()
    for version_id in versions:
        for field in catalogue.compiled(session, version_id).procedure.form.fields:
            if field.id not in ids:
                ids.append(field.id)
    return ids


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(
    sessions, slug: str | None, departments: list[str], fields: list[str] | None
) -> Iterator[str]:
    """The CSV text, a few lines at a time; the rows come from the database in batches.

    ``fields``: one column per answer; None: the whole answers as one JSON column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    yield "\ufeff"
    writer.writerow([*FIXED_COLUMNS, *(fields if fields is not None else ["answers"])])
    yield flush()
    query = (
        sa.select(
            Case.reference,
            Case.procedure,
            ProcedureVersion.version,
            Case.state,
            Case.department,
            Case.channel,
            Case.submitted_at,
            Case.closed_at,
            Account.email,
            Case.answers,
        )
        .join(ProcedureVersion, ProcedureVersion.id == Case.version_id)
        .outerjoin(Account, Account.id == Case.assignee_id)
        .where(Case.submitted_at.is_not(None), Case.department.in_(departments))
        .order_by(Case.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    if slug is not None:
        query = query.where(Case.procedure == slug)
    with sessions() as session:
        for count, row in enumerate(session.execute(query), start=1):
            *fixed, answers = row
            answers = answers or {}
            if fields is None:
                values = [_cell(answers)]
            else:
                values = [_cell(answers.get(f)) for f in fields]
            writer.writerow([_cell(v) for v in fixed] + values)
            if count % 100 == 0:
                yield flush()
    yield flush()


@bp.route("/export.csv")
@staff_required
def export():
    """The cases of the agent's departments: of one procedure, its answers one column per
    field; of every procedure without ``procedure``, the answers as one JSON column."""
    slug = request.args.get("procedure") or None
    fields = _field_ids(slug) if slug else None
    if slug and not fields:
        abort(404)
    rows = export_rows(services().sessions, slug, _mine(), fields)
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{slug or "demandes"}.csv"',
            "Cache-Control": "no-store",
        },
    )
