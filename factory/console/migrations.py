"""The console's migration plans: a dry run of what each running case would become, then
its application in one transaction (engine/migration_plans.py)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import migration_plans
from engine.errors import Conflict, Refused
from engine.workflow import Actor

from ..audit import audit
from ..language import text
from ..services import db, services
from ..wording import state_label
from .versions import compiled, versions_of
from .views import admin_required, bp

#: What a plan's problems and a case's refusals say (engine/migration_plans.py's codes).
WORDS = {
    "yaml": _l("this is not valid YAML: %(detail)s"),
    "not_plan": _l("a plan is a mapping with the keys from, to, states, fields and defaults"),
    "unknown_key": _l("unknown key %(key)s: a plan has from, to, states, fields and defaults"),
    "no_version": _l("%(key)s: version %(version)s of this procedure is not published"),
    "not_mapping": _l("%(key)s must map names to names (old: new)"),
    "not_newer": _l("to must be a version newer than from"),
    "old_state": _l("version %(version)s has no state %(state)s"),
    "new_state": _l("version %(version)s has no state %(state)s"),
    "old_field": _l("version %(version)s has no field %(field)s"),
    "new_field": _l("version %(version)s has no field %(field)s"),
    "not_finite": _l("the default of %(field)s is not a number a request can hold"),
    "unmapped_state": _l("the plan gives no new state for the state %(state)s"),
    "refused_answer": _l("the new version refuses the answer to %(field)s (%(value)s)"),
}


def word(code: str, values: dict) -> str:
    return str(WORDS[code]) % {k: "" if v is None else v for k, v in values.items()}


def skeleton(slug: str) -> str:
    """A plan to start from: the oldest version with running cases to the newest one, each
    state kept where the newest version has it."""
    from engine.versions import running_cases

    rows = versions_of(slug)
    found = running_cases(db(), slug)
    old = next((r for r in rows if found and r.id == found[0].version_id), None)
    if old is None or old.id == rows[0].id:
        return ""
    states = {s.id for s in compiled(rows[0]).workflow.states}
    lines = [f"from: {old.version}", f"to: {rows[0].version}", "states:"]
    for row in found:
        if row.version_id == old.id and row.state:
            lines.append(f"  {row.state}: {row.state if row.state in states else '???'}")
    return "\n".join([*lines, "fields: {}", "defaults: {}", ""])


@bp.route("/procedures/<slug>/migration", methods=["GET", "POST"])
@admin_required
def migration(slug: str):
    versions_of(slug)
    if request.method == "GET":
        return render_template("console/migration.html", slug=slug, source=skeleton(slug))
    session, state = db(), services()
    source = request.form.get("plan", "").replace("\r\n", "\n")
    if (
        len(source.encode("utf-8", errors="replace"))
        > current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    ):
        source = ""
    plan, problems = migration_plans.read_plan(session, state.runtime, slug, source)
    if plan is None:
        audit("procedure.migration_check", procedure=slug, problems=len(problems))
        session.commit()
        return render_template(
            "console/migration.html",
            slug=slug,
            source=source,
            problems=[(p.line, p.column, word(p.code, p.values)) for p in problems],
        ), 422
    if request.form.get("step") == "apply":
        try:
            run = migration_plans.apply(
                session,
                state.runtime,
                plan,
                request.form.get("digest", ""),
                Actor("administrator", current_user.id),
                state.clock,
            )
        except (Conflict, Refused) as error:
            session.rollback()
            stale = isinstance(error, Conflict)
            flash(
                _("The versions or the cases changed since the dry run: check the plan again.")
                if stale
                else _("Some cases cannot move: nothing was changed."),
                "error",
            )
        else:
            audit(
                "procedure.migrate",
                procedure=slug,
                cases=len(run.outcomes),
                to_version=plan.new.version,
            )
            session.commit()
            flash(
                _(
                    "Cases moved to version %(version)s: %(num)s.",
                    num=len(run.outcomes),
                    version=plan.new.version,
                ),
                "success",
            )
            return redirect(url_for("console.procedure", slug=slug))
    run = migration_plans.dry_run(session, state.runtime, plan, state.clock)
    audit(
        "procedure.migration_check",
        procedure=slug,
        from_version=plan.old.version,
        to_version=plan.new.version,
        cases=len(run.outcomes),
        refused=len(run.refused),
    )
    session.commit()
    old_workflow = compiled(plan.old).workflow
    new_workflow = compiled(plan.new).workflow
    outcomes = [
        {
            "reference": o.case.reference or o.case.id,
            "before": state_label(old_workflow, o.case.state),
            "after": state_label(new_workflow, o.new_state) if o.new_state else "—",
            "renamed": o.renamed,
            "defaulted": o.defaulted,
            "dropped": list(o.dropped),
            "refusals": [word(code, values) for code, values in o.refusals],
        }
        for o in run.outcomes
    ]
    return render_template(
        "console/migration.html",
        slug=slug,
        source=source,
        plan=plan,
        title=text(compiled(plan.new).title),
        outcomes=outcomes,
        refused=len(run.refused),
        digest=run.digest,
    ), 422 if run.refused else 200
