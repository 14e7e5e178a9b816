"""Personal data in the back office: a supervisor's legal hold on a case (set and lifted,
each with a reason, audit-logged), and the export of what Guichet holds about a person for
a request received by mail (the departments' requests of the agent, audit-logged)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import personal_data, retention
from engine.errors import Refused

from ..access import staff_case, staff_required
from ..audit import audit
from ..errors import attempt
from ..personal_data import document, json_download
from ..services import db, services
from .inbox import bp

#: The longest e-mail address (RFC 5321).
MAX_EMAIL = 320


def _supervisor_case(case_id: int):
    item = staff_case(case_id)
    if current_user.kind != "supervisor":
        abort(403)
    return item


def _reason() -> str:
    return request.form.get("reason", "")[: retention.MAX_REASON]


@bp.route("/dossiers/<int:case_id>/conservation", methods=["POST"])
@staff_required
def legal_hold(case_id: int):
    item = _supervisor_case(case_id)

    def hold() -> None:
        retention.set_hold(db(), item, _reason(), current_user.id, services().clock.now())

    refusal = _("Give the reason for the legal hold; a request anonymised already cannot be held.")
    if attempt(hold, {Refused: refusal}) is None:
        flash(_("The request is under a legal hold: it will not be anonymised."), "success")
    return redirect(url_for("backoffice.case", case_id=case_id) + "#retention")


@bp.route("/dossiers/<int:case_id>/conservation/levee", methods=["POST"])
@staff_required
def lift_legal_hold(case_id: int):
    item = _supervisor_case(case_id)

    def lift() -> None:
        retention.lift_hold(db(), item, _reason(), current_user.id, services().clock.now())

    refusal = _("Give the reason for lifting the legal hold.")
    if attempt(lift, {Refused: refusal}) is None:
        flash(_("The legal hold is lifted: the request follows its retention again."), "success")
    return redirect(url_for("backoffice.case", case_id=case_id) + "#retention")


@bp.route("/donnees-personnelles", methods=["GET", "POST"])
@staff_required
def personal_data_export():
    """A form (an e-mail address), then the export of that person: a page, or JSON."""
    if not current_user.departments:
        abort(404)  # an administrator works on no department's requests
    if request.method == "GET":
        return render_template("backoffice/personal_data.html", email="", error=None)
    email = request.form.get("email", "").strip()[:MAX_EMAIL]
    if "@" not in email:
        return (
            render_template(
                "backoffice/personal_data.html",
                email=email,
                error=_("Enter the e-mail address of the person, such as nom@example.org."),
            ),
            422,
        )
    state = services()
    data = personal_data.export(
        db(), state.runtime, state.clock, email=email, departments=current_user.departments
    )
    audit(
        personal_data.EXPORTED,
        email=data["email"],
        requests=[r["reference"] for r in data["requests"]],
        format=request.form.get("format", "html"),
    )
    db().commit()
    if request.form.get("format") == "json":
        return json_download(data)
    return render_template(
        "backoffice/personal_data.html", email=email, error=None, doc=document(data)
    )
