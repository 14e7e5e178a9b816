"""The dashboards of the back office: the overview of every department the reader sees (the
whole town for a supervisor), then one page per procedure.

A dashboard only reads the rollups the worker refreshes every minute (``engine.rollups``),
added up by ``engine.figures``: a request never aggregates cases. Charts are inline SVG
(``charts``); their figures follow in tables, the reference for screen readers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from babel import numbers as babel_numbers
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from definitions import formats
from engine.figures import Figures, combine
from engine.models import Rollup
from engine.rollups import MARKER

from ..access import staff_required
from ..language import current_language, fold, text
from ..services import db, services
from ..wording import state_label
from .charts import Bar, Chart

bp = Blueprint("dashboards", __name__, url_prefix="/agents", template_folder="templates")
BOARDS = "/tableaux-de-bord"


# -- words and numbers -------------------------------------------------------------------------


def _timezone() -> str | None:
    site = services().runtime.site
    return site.timezone if site else None


def number(value) -> str:
    """A count or a figure in the reader's language (`1 250`), a dash when there is none."""
    return "—" if value is None else formats.number(value, current_language())


def days(value) -> str:
    if value is None:
        return "—"
    return ngettext("%(days)s day", "%(days)s days", int(value), days=number(value))


def percent(value: float) -> str:
    """`66,7 %`: the locale's own pattern, one decimal at most."""
    where = formats.locale(current_language())
    return babel_numbers.format_percent(
        Decimal(str(round(value, 3))), locale=where, decimal_quantization=False
    )


def rating(value: float | None) -> str:
    return "—" if value is None else _("%(rating)s out of 5", rating=number(value))


def week_label(start: str) -> str:
    """`semaine du 30 novembre 2026`."""
    return _("week of %(date)s", date=formats.date(start, current_language()))


def moment(value: dt.datetime | None) -> str:
    return formats.datetime(value, current_language(), _timezone()) if value else ""


def department_name(department: str) -> str:
    site = services().runtime.site
    found = site.departments.get(department) if site else None
    return text(found.name) if found else department


@dataclass
class Procedure:
    slug: str
    title: str
    #: the workflow's states, in order, with their labels
    states: dict[str, str]

    def state(self, state: str) -> str:
        return self.states.get(state, state)


def procedure(slug: str, cache: dict[str, Procedure] | None = None) -> Procedure:
    """A procedure's title and its states' labels (from the catalogue, not from cases)."""
    if cache is not None and slug in cache:
        return cache[slug]
    session = db()
    catalogue = services().runtime.catalogue
    version = catalogue.current(session, slug)
    if version is None:
        found = Procedure(slug, slug, {})
    else:
        compiled = catalogue.compiled(session, version.id).procedure
        workflow = compiled.workflow
        labels = {s.id: state_label(workflow, s.id) for s in workflow.states}
        found = Procedure(slug, text(compiled.title), labels)
    if cache is not None:
        cache[slug] = found
    return found


# -- charts ------------------------------------------------------------------------------------


def volume_chart(figures: Figures, prefix: str) -> Chart:
    return Chart(
        f"{prefix}filed-per-week",
        _("Requests filed per week"),
        _(
            "%(number)s requests filed in the last %(weeks)s weeks, the oldest week first.",
            number=number(figures.filed),
            weeks=number(len(figures.filed_per_week)),
        ),
        [Bar(week_label(start), n, number(n)) for start, n in figures.filed_per_week],
    )


def charts(figures: Figures, about: Procedure, prefix: str) -> list[Chart]:
    bottleneck = figures.bottleneck
    return [
        volume_chart(figures, prefix),
        Chart(
            f"{prefix}processing-time",
            _("Processing time"),
            _(
                "From filing to the final decision, for the %(number)s requests closed in the "
                "last 90 days: half of them within %(median)s, 90%% within %(p90)s.",
                number=number(figures.closed),
                median=days(figures.median_days),
                p90=days(figures.p90_days),
            ),
            [
                Bar(_("Median"), figures.median_days or 0, days(figures.median_days)),
                Bar(_("90th percentile"), figures.p90_days or 0, days(figures.p90_days)),
            ],
        ),
        Chart(
            f"{prefix}time-in-state",
            _("Where requests wait"),
            (
                _(
                    "The part of the time requests spent in each state, over the last 90 "
                    "days and for the requests still open; they wait longest in "
                    "“%(state)s” (%(share)s).",
                    state=about.state(bottleneck.state),
                    share=percent(bottleneck.share),
                )
                if bottleneck
                else _("No request has spent time in a state yet.")
            ),
            [
                Bar(
                    about.state(s.state),
                    s.share,
                    percent(s.share) + (" — " + _("bottleneck") if s.bottleneck else ""),
                    highlight=s.bottleneck,
                )
                for s in figures.states
            ],
        ),
        Chart(
            f"{prefix}deadlines",
            _("Deadlines"),
            _(
                "Open requests past a deadline, legal deadlines expired, and legal deadlines "
                "expiring within 7 and 30 days."
            ),
            [
                Bar(label, n, number(n))
                for label, n in (
                    (_("Past a deadline"), figures.overdue),
                    (_("Legal deadline expired"), figures.expired),
                    (_("Expiring within 7 days"), figures.expiring.get("7", 0)),
                    (_("Expiring within 30 days"), figures.expiring.get("30", 0)),
                )
            ],
        ),
        Chart(
            f"{prefix}satisfaction",
            _("Satisfaction"),
            (
                _(
                    "%(count)s ratings by the requesters, %(average)s on average; how many "
                    "gave each rating from 1 to 5.",
                    count=number(figures.rated),
                    average=rating(figures.satisfaction),
                )
                if figures.rated
                else _("No requester has rated the service yet.")
            ),
            [
                Bar(rating(r), n, number(n))
                for r, n in sorted(figures.ratings.items())
                if 1 <= r <= 5
            ],
        ),
    ]


# -- pages -------------------------------------------------------------------------------------


def _mine() -> list[str]:
    return sorted(current_user.departments)


def _rollups(departments: list[str], slug: str | None = None) -> list[Rollup]:
    query = sa.select(Rollup).where(
        Rollup.department.in_(departments), Rollup.procedure != MARKER[0]
    )
    if slug is not None:
        query = query.where(Rollup.procedure == slug)
    return list(db().scalars(query.order_by(Rollup.procedure, Rollup.department)))


def _computed_at(found: list[Rollup]) -> dt.datetime | None:
    return max((r.computed_at for r in found), default=None)


def _helpers() -> dict:
    return {
        "number": number,
        "days": days,
        "percent": percent,
        "rating": rating,
        "week_label": week_label,
        "moment": moment,
        "department_name": department_name,
        "refresh_seconds": int(current_app.config.get("ROLLUP_EVERY_SECONDS", 60)),
    }


@bp.route(BOARDS + "/")
@staff_required
def index():
    """The overview: every procedure of the reader's departments, and the whole of them."""
    found = _rollups(_mine())
    known: dict[str, Procedure] = {}
    by_procedure: dict[str, list[Rollup]] = defaultdict(list)
    by_department: dict[str, list[Rollup]] = defaultdict(list)
    for rollup in found:
        by_procedure[rollup.procedure].append(rollup)
        by_department[rollup.department].append(rollup)
    procedures = sorted(
        (
            (
                procedure(slug, known),
                sorted((department_name(d) for d in {r.department for r in rows}), key=fold),
                combine([r.data for r in rows], list(procedure(slug, known).states)),
            )
            for slug, rows in by_procedure.items()
        ),
        key=lambda item: fold(item[0].title),
    )
    departments = sorted(
        ((d, combine([r.data for r in rows])) for d, rows in by_department.items()),
        key=lambda item: fold(department_name(item[0])),
    )
    everything = combine([r.data for r in found])
    return render_template(
        "dashboards/index.html",
        procedures=procedures,
        departments=departments,
        everything=everything,
        volume=volume_chart(everything, "all-") if found else None,
        computed_at=_computed_at(found),
        town=current_user.kind == "supervisor",
        **_helpers(),
    )


@bp.route(BOARDS + "/<slug>")
@staff_required
def dashboard(slug: str):
    """A procedure's dashboard over the reader's departments (or the one asked)."""
    mine = _mine()
    found = _rollups(mine, slug)
    covered = sorted({r.department for r in found}, key=lambda d: fold(department_name(d)))
    asked = request.args.get("departement") or None
    if asked is not None:
        if asked not in mine:
            abort(404)
        found = [r for r in found if r.department == asked]
    about = procedure(slug)
    figures = combine([r.data for r in found], list(about.states))
    return render_template(
        "dashboards/dashboard.html",
        about=about,
        figures=figures,
        charts=charts(figures, about, "board-") if found else [],
        covered=covered,
        covered_names=", ".join(department_name(d) for d in covered),
        asked=asked,
        computed_at=_computed_at(found),
        **_helpers(),
    )
