"""Writing procedures in the console: a new version of a procedure, a new procedure (from a
blank skeleton or a copy of another), and what the editor asks of the server as the
administrator types (the JSON Schema, and the checker's problems as JSON).

Every page works without JavaScript: the editor (``static/console-editor.js``, CodeMirror
bundled by ``scripts/build-editor.sh``) only enhances the form's textarea.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from definitions.errors import Problem
from definitions.lint import lint_source
from definitions.schemas import schema
from engine.catalogue import publish
from engine.errors import PublishError
from engine.models import ProcedureVersion

from ..audit import audit
from ..language import text
from ..security import content_security_policy
from ..services import db, services
from . import listing
from .views import (
    MAX_VALUES,
    _latest,
    _preview,
    _too_large,
    admin_required,
    bp,
    check_source,
)

#: The first text of a new procedure: it checks as it is, and says what to change.
SKELETON = """\
procedure: {slug}
version: 1
title: Nouvelle démarche
summary: Ce que la démarche permet de demander, en une phrase.
department: {department}
login: optional
form:
  pages:
    - id: demandeur
      title: Vous
      fields:
        - id: nom
          type: text
          label: Nom
          required: true
          autocomplete: family-name
        - id: courriel
          type: email
          label: Adresse électronique
          required: true
          autocomplete: email
workflow:
  initial: deposee
  states:
    - id: deposee
      label: Déposée
    - id: traitee
      label: Traitée
      final: true
  transitions:
    - id: traiter
      label: Traiter la demande
      from: deposee
      to: traitee
      by: agent
"""
_SLUG_LINE = re.compile(r"^procedure:[ \t]*(\S+)[ \t]*$", re.M)
_VERSION_LINE = re.compile(r"^version:[ \t]*\S+[ \t]*$", re.M)


def _slugs() -> set[str]:
    return set(db().scalars(sa.select(ProcedureVersion.slug).distinct()))


def _free_slug(wanted: str) -> str:
    taken = _slugs()
    slug, number = wanted, 2
    while slug in taken:
        slug, number = f"{wanted}-{number}", number + 1
    return slug


def _known_workflows() -> dict[str, str]:
    """The reusable workflows of the catalogue, by name: what a new procedure may ``use``
    (the newest published text of each)."""
    found: dict[str, str] = {}
    query = sa.select(ProcedureVersion.workflows).order_by(ProcedureVersion.published_at)
    for workflows in db().scalars(query):
        found.update(workflows or {})
    return found


def _site_panel() -> dict:
    """The site's departments and connectors, shown beside the editor."""
    site = services().runtime.site
    if site is None:
        return {"departments": [], "connectors": []}
    return {
        "departments": [(slug, text(d.name)) for slug, d in sorted(site.departments.items())],
        "connectors": [(name, c.type) for name, c in sorted(site.connectors.items())],
    }


def judge(source: str, size: int, name: str, workflows: dict, *, slug: str | None):
    """Check ``source`` as a new version of ``slug``, or as a new procedure when ``slug`` is
    None. Returns ``(procedure or None, problems, source as shown back)``."""
    problems = _too_large(size, name)
    if problems:
        return None, problems, source[: current_app.config["CONSOLE_MAX_SOURCE_BYTES"]]
    procedure, problems = check_source(source, workflows, name)
    if procedure is None:
        return None, problems, source
    message = None
    if slug is not None and procedure.slug != slug:
        message = _(
            "this page publishes versions of %(slug)s, not of %(other)s",
            slug=slug,
            other=procedure.slug,
        )
    elif slug is None and procedure.slug in _slugs():
        message = _(
            "the procedure %(slug)s exists already: publish a new version from its page, "
            "or give this one another name",
            slug=procedure.slug,
        )
    if message:
        line = _line_of(source, _SLUG_LINE)
        return None, [Problem(name, line, 1, message)], source
    return procedure, [], source


def _line_of(source: str, pattern: re.Pattern) -> int:
    match = pattern.search(source)
    return source.count("\n", 0, match.start()) + 1 if match else 1


def _posted_source() -> tuple[str, int]:
    """The posted text (or the uploaded file, which replaces it) and its size in bytes."""
    limit = current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    source = request.form.get("source", "")
    size = len(source.encode("utf-8", errors="replace"))
    upload = request.files.get("source_file")
    if upload is not None and upload.filename:
        data = upload.stream.read(limit + 1)
        size = len(data)
        source = data.decode("utf-8", errors="replace")
    return source.replace("\r\n", "\n"), size


def _page(status: int = 200, **context):
    """The editor's page. CodeMirror writes its styles in a ``<style>`` element: the page's
    policy admits the one that carries this answer's nonce, and no other inline style."""
    context.setdefault("panel", _site_panel())
    context.setdefault("problems", [])
    name = context.get("name", "procedure.yaml")
    context["excerpts"] = listing.excerpts(context.get("source", ""), context["problems"], name)
    nonce = secrets.token_urlsafe(18)
    response = make_response(
        render_template("console/edit.html", style_nonce=nonce, **context), status
    )
    response.headers["Content-Security-Policy"] = content_security_policy(
        services().runtime.site
    ).replace(
        "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
    )
    return response


def _check_and_publish(*, slug: str | None, workflows: dict, name: str, page: dict, done):
    """The form's answer: the problems, or the preview, or (``step=publish``) the version
    published and ``done(row)``'s redirect."""
    source, size = _posted_source()
    procedure, problems, source = judge(source, size, name, workflows, slug=slug)
    oversized = size > current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    # the lint's warnings, in French, beside the problems or above the preview
    warnings = [] if oversized else lint_source(source, name, max_nodes=MAX_VALUES)
    audited = slug or (procedure.slug if procedure else "")
    session = db()
    if procedure is None:
        audit("procedure.check", procedure=audited, problems=len(problems))
        session.commit()
        return _page(
            422, source=source, problems=problems, warnings=warnings, name=name, **page
        )
    if request.form.get("step") == "publish":
        try:
            row = publish(
                session,
                services().runtime,
                source,
                workflows=workflows,
                clock=services().clock,
                published_by=current_user.id,
                name=name,
            )
        except PublishError as error:
            session.rollback()
            audit("procedure.publish_refused", procedure=audited, version=procedure.version)
            session.commit()
            flash(str(error), "error")
        else:
            audit("procedure.publish", procedure=row.slug, version=row.version)
            session.commit()
            flash(_("Version %(version)d is published.", version=row.version), "success")
            return done(row)
    else:
        audit("procedure.check", procedure=audited, problems=0)
        session.commit()
    return _page(
        source=source,
        procedure=procedure,
        preview=_preview(procedure),
        warnings=warnings,
        name=name,
        **page,
    )


@bp.route("/procedures/<slug>/nouvelle-version", methods=["GET", "POST"])
@admin_required
def new_version(slug: str):
    latest = _latest(slug)
    page = {
        "heading": _("New version of %(slug)s", slug=slug),
        "slug": slug,
        "action": url_for("console.new_version", slug=slug),
        "back": url_for("console.procedure", slug=slug),
        "hint": _(
            "Prefilled with version %(version)d. Give the new version its own number.",
            version=latest.version,
        ),
    }
    name = f"{slug}.yaml"
    if request.method == "GET":
        return _page(source=latest.source, name=name, **page)
    return _check_and_publish(
        slug=slug,
        workflows=latest.workflows or {},
        name=name,
        page=page,
        done=lambda row: redirect(url_for("console.procedure", slug=slug)),
    )


def _new_page(origin: ProcedureVersion | None) -> dict:
    return {
        "heading": _("New procedure"),
        "slug": "",
        "origin": origin.slug if origin else "",
        "action": url_for("console.new_procedure"),
        "back": url_for("console.procedures"),
        "hint": (
            _("A copy of %(slug)s: give it its own name (procedure).", slug=origin.slug)
            if origin
            else _("A blank procedure that checks as it is: change what it says.")
        ),
    }


@bp.route("/procedures/nouvelle", methods=["GET", "POST"])
@admin_required
def new_procedure():
    origin = None
    if request.form.get("origin"):
        origin = _latest(request.form["origin"])
    page = _new_page(origin)
    if request.method == "GET":
        site = services().runtime.site
        department = next(iter(sorted(site.departments)), "service") if site else "service"
        source = SKELETON.format(slug=_free_slug("nouvelle-demarche"), department=department)
        return _page(source=source, **page)
    return _check_and_publish(
        slug=None,
        workflows=origin.workflows or {} if origin else _known_workflows(),
        name="procedure.yaml",
        page=page,
        done=lambda row: redirect(url_for("console.procedure", slug=row.slug)),
    )


@bp.route("/procedures/<slug>/dupliquer", methods=["POST"])
@admin_required
def duplicate(slug: str):
    """The new procedure's page, prefilled with a copy of ``slug``'s latest version under a
    free name and version 1; nothing is saved until it is published."""
    origin = _latest(slug)
    copy = _SLUG_LINE.sub(f"procedure: {_free_slug(f'{slug}-copie')}", origin.source, count=1)
    copy = _VERSION_LINE.sub("version: 1", copy, count=1)
    return _page(source=copy, **_new_page(origin))


@bp.route("/schema/procedure.json")
@admin_required
def procedure_schema():
    """The procedure JSON Schema (with the registry's field types), for the editor's
    completion and help."""
    response = jsonify(schema("procedure"))
    response.headers["Content-Disposition"] = "attachment; filename=procedure.schema.json"
    return response


@bp.route("/verifier", methods=["POST"])
@admin_required
def check_api():
    """The checker's problems as JSON (``{"problems": [{line, column, message}], "summary"}``),
    for the editor as the administrator types. JSON in (``source``, and ``procedure``, the
    procedure a new version is written for), or a form; nothing is recorded."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        payload = request.form
    source = payload.get("source", "")
    wanted = payload.get("procedure") or None
    if not isinstance(source, str) or not (wanted is None or isinstance(wanted, str)):
        abort(400)
    if wanted is not None:
        latest = _latest(wanted)
        workflows, name = latest.workflows or {}, f"{wanted}.yaml"
    else:
        workflows, name = _known_workflows(), "procedure.yaml"
    source = source.replace("\r\n", "\n")
    size = len(source.encode("utf-8", errors="replace"))
    problems = judge(source, size, name, workflows, slug=wanted)[1]
    count = len(problems)
    summary = (
        ngettext("%(num)d problem", "%(num)d problems", count) if count else _("No problem found")
    )
    return jsonify(problems=listing.as_json(problems, name), summary=summary)
