"""The administrators' console: procedures and their versions, the outbox, the audit log,
the staff accounts.

Only administrators reach it: anyone else signed in gets a 404, visitors are sent to sign
in. Every action is written to the audit log.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import renderers
from definitions.errors import Problem, capped
from definitions.mermaid import mermaid
from definitions.procedures import procedure_from_source
from engine.catalogue import publish
from engine.errors import PublishError
from engine.models import (
    STAFF_KINDS,
    Account,
    AuditEvent,
    Membership,
    OutboxMessage,
    ProcedureVersion,
)
from engine.outbox import replay

from ..accounts import (
    InvalidEmail,
    create_account,
    find_account,
    normalise_email,
    password_problem,
)
from ..audit import audit
from ..helpers import current_language, int_arg, text
from ..services import db, services
from ..translations import form_translations
from ..wording import state_label
from .diagram import workflow_svg

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
PAGE_SIZE = 50
USERS_SHOWN = 500
#: The most values a procedure checked here may hold; the largest example holds 389.
MAX_VALUES = 20_000

#: The words for each of engine.models.STAFF_KINDS, as the account form offers them.
KIND_LABELS = {
    "agent": _l("Agent"),
    "supervisor": _l("Supervisor"),
    "administrator": _l("Administrator"),
}


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


@dataclass
class SourceLine:
    number: int
    text: str
    problems: list[Problem]


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


#: Past this many lines, the listing shows only the lines around problems.
LISTED_LINES = 2_000
CONTEXT_LINES = 3


def _source_lines(source: str, problems: list[Problem], name: str) -> list[SourceLine]:
    by_line: dict[int, list[Problem]] = {}
    for problem in problems:
        if problem.file == name:
            by_line.setdefault(problem.line, []).append(problem)
    lines = source.splitlines() or [""]
    if len(lines) <= LISTED_LINES:
        return [
            SourceLine(number, line, by_line.get(number, []))
            for number, line in enumerate(lines, start=1)
        ]
    shown = sorted(
        {
            number
            for faulty in by_line
            for number in range(faulty - CONTEXT_LINES, faulty + CONTEXT_LINES + 1)
            if 1 <= number <= len(lines)
        }
    )
    return [SourceLine(n, lines[n - 1], by_line.get(n, [])) for n in shown]


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
        "mermaid": mermaid(procedure, language),
        "diagram": workflow_svg(procedure, language, text(procedure.title)),
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


@bp.route("/procedures/<slug>/nouvelle-version", methods=["GET", "POST"])
@admin_required
def new_version(slug: str):
    latest = _latest(slug)
    name = f"{slug}.yaml"
    if request.method == "GET":
        return render_template(
            "console/new_version.html", slug=slug, latest=latest, source=latest.source
        )
    limit = current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    source = request.form.get("source", "")
    size = len(source.encode("utf-8", errors="replace"))
    upload = request.files.get("source_file")
    if upload is not None and upload.filename:
        data = upload.stream.read(limit + 1)
        size = len(data)
        source = data.decode("utf-8", errors="replace")
    source = source.replace("\r\n", "\n")
    problems = _too_large(size, name)
    if problems:
        procedure, source = None, source[:limit]  # shown back, never checked
    else:
        procedure, problems = check_source(source, latest.workflows or {}, name)
    if procedure is not None and procedure.slug != slug:
        problems = [
            Problem(
                name,
                1,
                1,
                _(
                    "this page publishes versions of %(slug)s, not of %(other)s",
                    slug=slug,
                    other=procedure.slug,
                ),
            )
        ]
        procedure = None
    session = db()
    if procedure is None:
        audit("procedure.check", procedure=slug, problems=len(problems))
        session.commit()
        return render_template(
            "console/new_version.html",
            slug=slug,
            latest=latest,
            source=source,
            problems=problems,
            name=name,
            lines=_source_lines(source, problems, name),
        ), 422
    if request.form.get("step") == "publish":
        try:
            row = publish(
                session,
                services().runtime,
                source,
                workflows=latest.workflows or {},
                clock=services().clock,
                published_by=current_user.id,
                name=name,
            )
        except PublishError as error:
            session.rollback()
            audit("procedure.publish_refused", procedure=slug, version=procedure.version)
            session.commit()
            flash(str(error), "error")
        else:
            audit("procedure.publish", procedure=slug, version=row.version)
            session.commit()
            flash(_("Version %(version)d is published.", version=row.version), "success")
            return redirect(url_for("console.procedure", slug=slug))
    else:
        audit("procedure.check", procedure=slug, problems=0)
        session.commit()
    return render_template(
        "console/new_version.html",
        slug=slug,
        latest=latest,
        source=source,
        procedure=procedure,
        preview=_preview(procedure),
    )


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


# -- outbox ------------------------------------------------------------------------------------


@bp.route("/outbox")
@admin_required
def outbox():
    session = db()
    counts = session.execute(
        sa.select(OutboxMessage.connector, OutboxMessage.status, sa.func.count())
        .group_by(OutboxMessage.connector, OutboxMessage.status)
        .order_by(OutboxMessage.connector, OutboxMessage.status)
    ).all()
    failing = list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(
                sa.or_(
                    OutboxMessage.status == "dead",
                    sa.and_(
                        OutboxMessage.status == "pending", OutboxMessage.last_error.is_not(None)
                    ),
                )
            )
            .order_by(OutboxMessage.connector, OutboxMessage.id)
            .limit(500)
        )
    )
    dead_connectors = sorted({m.connector for m in failing if m.status == "dead"})
    return render_template(
        "console/outbox.html", counts=counts, failing=failing, dead_connectors=dead_connectors
    )


@bp.route("/outbox/rejouer", methods=["POST"])
@admin_required
def replay_dead():
    session = db()
    connector = request.form.get("connector", "")
    query = sa.select(OutboxMessage.id).where(OutboxMessage.status == "dead")
    message = int_arg("message", 1, source=request.form)
    if message is not None:
        query = query.where(OutboxMessage.id == message)
    elif connector:
        query = query.where(OutboxMessage.connector == connector)
    else:
        abort(400)
    ids = list(session.scalars(query))
    done = replay(session, ids, services().clock.now()) if ids else 0
    audit("outbox.replay", connector=connector or None, messages=ids)
    session.commit()
    flash(_("%(number)d deliveries are queued again.", number=done), "success")
    return redirect(url_for("console.outbox"))


# -- audit log ---------------------------------------------------------------------------------


@bp.route("/journal")
@admin_required
def audit_log():
    session = db()
    args = request.args
    query = sa.select(AuditEvent)
    filters = {}
    case_id = int_arg("case", 1)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
        filters["case"] = str(case_id)
    account = args.get("account", "").strip()
    if account:
        filters["account"] = account
        if account.isascii() and account.isdigit():  # an id (else an e-mail address)
            query = query.where(AuditEvent.account_id == int_arg("account", 1))
        else:
            found = find_account(session, account)
            query = query.where(AuditEvent.account_id == (found.id if found else -1))
    after = int_arg("after")
    if after is not None:  # keyset pagination: newest first, then older ids
        query = query.where(AuditEvent.id < after)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    emails = dict(
        session.execute(
            sa.select(Account.id, Account.email).where(
                Account.id.in_({r.account_id for r in rows if r.account_id})
            )
        ).all()
    )
    return render_template(
        "console/audit.html",
        rows=rows,
        emails=emails,
        more=more,
        next_after=rows[-1].id if rows else None,
        filters=filters,
    )


# -- users -------------------------------------------------------------------------------------


def _departments() -> dict[str, str]:
    site = services().runtime.site
    if site is None:
        return {}
    return {key: text(department.name) for key, department in site.departments.items()}


def _chosen_departments(errors: list[str]) -> list[str]:
    known = _departments()
    chosen = sorted(set(request.form.getlist("departments")))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        errors.append(_("Unknown department: %(names)s.", names=", ".join(unknown)))
    return chosen


@bp.route("/utilisateurs")
@admin_required
def users():
    session = db()
    staff_first = sa.case((Account.kind == "citizen", 1), else_=0)
    rows = list(
        session.scalars(sa.select(Account).order_by(staff_first, Account.email).limit(USERS_SHOWN))
    )
    return render_template("console/users.html", rows=rows, limit=USERS_SHOWN)


@bp.route("/utilisateurs/nouveau", methods=["GET", "POST"])
@admin_required
def new_user():
    departments = _departments()
    errors: list[str] = []
    values = {"email": "", "name": "", "kind": "agent", "departments": []}
    status = 200
    if request.method == "POST":
        session = db()
        values = {
            "email": request.form.get("email", "").strip().lower()[:320],
            "name": request.form.get("name", "").strip()[:200],
            "kind": request.form.get("kind", ""),
            "departments": _chosen_departments(errors),
        }
        password = request.form.get("password", "")
        try:  # the same checks as the sign-up form and ``guichet users create``
            values["email"] = normalise_email(values["email"])
        except InvalidEmail:
            errors.append(_("Enter a valid e-mail address."))
        else:
            if find_account(session, values["email"]) is not None:
                errors.append(_("An account with this e-mail address already exists."))
        if values["kind"] not in STAFF_KINDS:
            errors.append(_("Choose the kind of account."))
        problem = password_problem(password, email=values["email"], name=values["name"])
        if problem is not None:
            errors.append(str(problem))
        if not errors:
            account = create_account(
                session,
                values["email"],
                password,
                kind=values["kind"],
                name=values["name"],
                departments=tuple(values["departments"]),
                confirmed=True,
                now=services().clock.now(),
            )
            audit(
                "account.create",
                account=account.id,
                kind=account.kind,
                departments=values["departments"],
            )
            session.commit()
            flash(_("The account of %(email)s is created.", email=account.email), "success")
            return redirect(url_for("console.user", account_id=account.id))
        status = 422
    return render_template(
        "console/new_user.html",
        departments=departments,
        errors=errors,
        values=values,
        kinds=[(kind, KIND_LABELS[kind]) for kind in STAFF_KINDS],
    ), status


def _account(account_id: int) -> Account:
    account = db().get(Account, account_id)
    if account is None:
        abort(404)
    return account


@bp.route("/utilisateurs/<int:account_id>", methods=["GET", "POST"])
@admin_required
def user(account_id: int):
    session = db()
    account = _account(account_id)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if account.kind not in STAFF_KINDS:
            abort(404)
        chosen = _chosen_departments(errors)
        if not errors:
            before = sorted(account.departments)
            account.memberships = [m for m in account.memberships if m.department in chosen] + [
                Membership(department=d) for d in chosen if d not in account.departments
            ]
            audit("account.memberships", account=account.id, before=before, after=chosen)
            session.commit()
            flash(_("The memberships are saved."), "success")
            return redirect(url_for("console.user", account_id=account.id))
        status = 422
    return render_template(
        "console/user.html",
        account=account,
        departments=_departments(),
        errors=errors,
        staff=account.kind in STAFF_KINDS,
    ), status


@bp.route("/utilisateurs/<int:account_id>/activation", methods=["POST"])
@admin_required
def activation(account_id: int):
    session = db()
    account = _account(account_id)
    active = request.form.get("active") == "1"
    if account.id == current_user.id and not active:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("console.user", account_id=account.id))
    account.active = active
    audit("account.reactivate" if active else "account.deactivate", account=account.id)
    session.commit()
    flash(_("The account is active.") if active else _("The account is deactivated."), "success")
    return redirect(url_for("console.user", account_id=account.id))
