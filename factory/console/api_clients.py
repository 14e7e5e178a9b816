"""The console's clients of the REST API: the list, creating one (its token shown once, on
the page that answers the creation), revoking one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import api_clients
from engine.models import API_SCOPES, ApiClient

from ..audit import audit
from ..services import db, services
from .staff import _chosen_departments, _departments
from .views import admin_required, bp


@bp.route("/clients-api", methods=["GET", "POST"])
@admin_required
def api_client_list():
    session = db()
    errors: list[str] = []
    values = {"name": "", "departments": [], "scopes": [], "as_agent": False}
    token = created = None
    status = 200
    if request.method == "POST":
        values = {
            "name": request.form.get("name", "").strip()[:100],
            "departments": _chosen_departments(errors),
            "scopes": sorted(set(request.form.getlist("scopes"))),
            "as_agent": request.form.get("as_agent") == "yes",
        }
        if not values["name"]:
            errors.append(_("Give the client a name."))
        if not values["departments"]:
            errors.append(_("Choose at least one department."))
        if not values["scopes"] or set(values["scopes"]) - set(API_SCOPES):
            errors.append(_("Choose what the client may do."))
        if not errors:
            try:
                created, token = api_clients.create_client(
                    session,
                    values["name"],
                    departments=values["departments"],
                    scopes=values["scopes"],
                    as_agent=values["as_agent"],
                    now=services().clock.now(),
                    created_by_id=current_user.id,
                )
            except api_clients.InvalidClient:
                errors.append(_("Another client already has this name."))
            else:
                audit("api_client.create", client=created.id, name=created.name)
                session.commit()
                values = {"name": "", "departments": [], "scopes": [], "as_agent": False}
        status = 422 if errors else 201
    return render_template(
        "console/api_clients.html",
        rows=api_clients.clients(session),
        departments=_departments(),
        scopes=API_SCOPES,
        errors=errors,
        values=values,
        token=token,
        created=created,
    ), status


@bp.route("/clients-api/<int:client_id>/revoquer", methods=["POST"])
@admin_required
def revoke_api_client(client_id: int):
    session = db()
    client = session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    if client.revoked_at is None:
        api_clients.revoke(session, client.id, services().clock.now())
        audit("api_client.revoke", client=client.id, name=client.name)
        session.commit()
    flash(_("The client %(name)s is revoked: its token is refused.", name=client.name), "success")
    return redirect(url_for("console.api_client_list"))
