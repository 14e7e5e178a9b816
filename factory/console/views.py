"""The administrators' console: its blueprint, its access check, and procedures and their
versions (check, preview, publish, withdraw). The outbox (``outbox.py``), the audit log
(``journal.py``) and the staff accounts (``staff.py``) add their views to the same blueprint.

Only administrators reach it: anyone else signed in gets a 404, visitors are sent to sign
in. Every action is written to the audit log.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

import renderers
from definitions.errors import Problem, capped
from definitions.mermaid import mermaid
from definitions.procedures import procedure_from_source
from engine.models import (
    ProcedureVersion,
)

from ..audit import audit
from ..language import current_language, text
from ..services import db, services
from ..translations import form_translations
from ..wording import department_names, state_label
from .diagram import workflow_diagram

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
#: The audit log's page (journal.py).
PAGE_SIZE = 50
#: The most values a procedure checked here may hold; the largest example holds 389.
MAX_VALUES = 20_000


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        if current_user.kind != "administrator":
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@admin_required
def index():
    return redirect(url_for("console.procedures"))


# -- procedures --------------------------------------------------------------------------------


def _versions(slug: str | None = None) -> list[ProcedureVersion]:
    query = sa.select(ProcedureVersion)
    if slug is not None:
        query = query.where(ProcedureVersion.slug == slug)
    return list(
        db().scalars(query.order_by(ProcedureVersion.slug, ProcedureVersion.version.desc()))
    )


def _latest(slug: str) -> ProcedureVersion:
    row = (
        db()
        .scalars(
            sa.select(ProcedureVersion)
            .where(ProcedureVersion.slug == slug)
            .order_by(ProcedureVersion.version.desc())
            .limit(1)
        )
        .first()
    )
    if row is None:
        abort(404)
    return row


@bp.route("/procedures")
@admin_required
def procedures():
    grouped: dict[str, list[ProcedureVersion]] = {}
    for row in _versions():
        grouped.setdefault(row.slug, []).append(row)
    return render_template("console/procedures.html", grouped=grouped)


@bp.route("/procedures/<slug>")
@admin_required
def procedure(slug: str):
    versions = _versions(slug)
    if not versions:
        abort(404)
    title = ""
    try:
        title = text(services().runtime.catalogue.compiled(db(), versions[0].id).procedure.title)
    except Exception:  # noqa: BLE001 - a title is a nicety; the versions are what matter
        title = slug
    return render_template(
        "console/procedure.html",
        slug=slug,
        title=title,
        versions=versions,
        withdrawn=all(v.withdrawn_at is not None for v in versions),
    )


def check_source(source: str, workflows: dict[str, str], name: str):
    """Check a procedure's YAML against the site config and the given reusable workflows.
    Returns ``(procedure or None, problems)``."""
    procedure, problems = procedure_from_source(
        source, name=name, site=services().runtime.site, workflows=workflows, max_nodes=MAX_VALUES
    )
    if problems:
        return None, capped(problems)
    return procedure, []


def _too_large(size: int, name: str) -> list[Problem]:
    """The problem of a source over ``CONSOLE_MAX_SOURCE_BYTES``, or none."""
    limit = current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    if size <= limit:
        return []
    return [
        Problem(
            name,
            1,
            1,
            _(
                "this file is larger than %(limit)s KiB; a procedure is far smaller: "
                "nothing was checked",
                limit=format_number(limit // 1024),
            ),
        )
    ]


def _preview(procedure):
    language = current_language()
    today = services().runtime.calendar.today(services().clock.now())
    pages = []
    for page in procedure.form.pages:
        cls = renderers.page_form(procedure, page, language=language)
        pages.append((page, cls(None, answers={}, today=today, translations=form_translations())))
    workflow = procedure.workflow
    return {
        "pages": pages,
        "mermaid": mermaid(procedure, language, department_names()),
        "diagram": workflow_diagram(
            procedure,
            language,
            _("Workflow of %(title)s", title=text(procedure.title)),
            _(
                "%(states)s states and %(transitions)s transitions; they are listed as text above.",
                states=len(workflow.states),
                transitions=len(workflow.transitions),
            ),
        ),
        "states": workflow.states,
        "transitions": [
            (
                text(t.label) or t.id,
                ", ".join(state_label(workflow, s) for s in t.sources),
                state_label(workflow, t.target),
                t.actor_department if t.actor == "department" else t.actor,
            )
            for t in workflow.transitions
        ],
    }


def _set_withdrawn(slug: str, withdrawn: bool):
    session = db()
    _latest(slug)
    now = services().clock.now() if withdrawn else None
    session.execute(
        sa.update(ProcedureVersion)
        .where(
            ProcedureVersion.slug == slug,
            (
                ProcedureVersion.withdrawn_at.is_(None)
                if withdrawn
                else ProcedureVersion.withdrawn_at.is_not(None)
            ),
        )
        .values(withdrawn_at=now)
    )
    audit("procedure.withdraw" if withdrawn else "procedure.restore", procedure=slug)
    session.commit()


@bp.route("/procedures/<slug>/retirer", methods=["POST"])
@admin_required
def withdraw(slug: str):
    _set_withdrawn(slug, True)
    flash(_("The procedure is withdrawn from the catalogue."), "success")
    return redirect(url_for("console.procedure", slug=slug))


@bp.route("/procedures/<slug>/remettre", methods=["POST"])
@admin_required
def restore(slug: str):
    _set_withdrawn(slug, False)
    flash(_("The procedure is back in the catalogue."), "success")
    return redirect(url_for("console.procedure", slug=slug))
