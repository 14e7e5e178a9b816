"""What an agent does from the inbox: take a case ("M'attribuer"), act on several cases at
once (take them, or fire a transition without a form), and keep or delete saved filters.

Every case is checked on its own: one outside the agent's departments is "not found", and
changes nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import cases, saved_filters
from engine.errors import Conflict, EngineError, InvalidValues, NotFound, Refused
from engine.models import Account, Case

from ..access import staff_required
from ..audit import audit
from ..errors import attempt
from ..params import parse_int
from ..services import db, services
from .inbox import bp, current_filters, filters_query

#: The most cases one grouped action handles.
MAX_BULK = 500


def url_decode(query: str) -> dict[str, str]:
    """A query string as a mapping (its last value for a repeated key)."""
    return dict(parse_qsl(query[:4000]))


def back_to_inbox():
    """The inbox as the agent left it (the form carries its query string)."""
    query = filters_query(url_decode(request.form.get("back", "")))
    return redirect(url_for("backoffice.inbox") + (f"?{query}" if query else ""))


def _case_of_mine(raw: str) -> Case | None:
    number = parse_int(raw, 1)
    item = db().get(Case, number) if number is not None else None
    if item is None or item.is_draft or item.department not in current_user.departments:
        return None
    return item


def _assign_to_me(item: Case) -> None:
    me = db().get(Account, current_user.id)
    cases.assign(db(), item, me, current_user.actor, services().clock)
    audit("assign", item, assignee=current_user.id)


@bp.route("/prendre", methods=["POST"])
@staff_required
def take():
    """"M'attribuer": the case becomes the signed-in agent's, in one click."""
    item = _case_of_mine(request.form.get("case", ""))
    if item is None:
        flash(_("This request is not found in your departments."), "error")
        return back_to_inbox()
    if item.closed_at is not None:
        flash(_("This request is closed."), "error")
        return back_to_inbox()
    failed = attempt(
        lambda: _assign_to_me(item),
        {(Refused, Conflict): _("The request could not be assigned: reload it and try again.")},
    )
    if failed is None:
        flash(_("Request %(reference)s is now yours.", reference=item.reference), "success")
    return back_to_inbox()


def _refusal(refusal: Refused) -> str:
    reasons = {
        "state": _("not possible in its current state"),
        "actor": _("not yours to do"),
        "guard": _("its condition does not hold"),
    }
    return reasons.get(refusal.reason, str(refusal))


def _one(item: Case, action: str, transition_id: str) -> str:
    """Do the grouped action on one case; what went wrong, or "" when done."""
    state = services()
    session = db()
    try:
        with session.begin_nested():
            if action == "assign":
                if item.closed_at is not None:
                    return _("the request is closed")
                _assign_to_me(item)
            else:
                cases.fire(
                    session,
                    state.runtime,
                    item,
                    transition_id,
                    current_user.actor,
                    state.clock,
                    values={},
                )
                audit("transition", item, transition=transition_id, bulk=True)
    except InvalidValues:
        return _("this action needs its form: do it on the request's page")
    except Refused as refusal:
        return _refusal(refusal)
    except Conflict:
        return _("changed by someone else meanwhile")
    except NotFound:
        return _("this procedure has no such action")
    except EngineError as error:
        return str(error)
    return ""


@bp.route("/lot", methods=["POST"])
@staff_required
def bulk():
    """Take the selected cases, or fire one transition on them; each is checked on its own."""
    action = "assign" if request.form.get("action") == "assign" else "transition"
    transition_id = request.form.get("transition", "")
    results = []
    for raw in request.form.getlist("case")[:MAX_BULK]:
        item = _case_of_mine(raw)
        if item is None:
            results.append((raw, False, _("not found in your departments")))
            continue
        reason = _one(item, action, transition_id)
        results.append((item.reference, not reason, reason))
    db().commit()
    return render_template(
        "backoffice/bulk.html",
        results=results,
        transition=transition_id,
        back=current_filters(url_decode(request.form.get("back", ""))),
    )


@bp.route("/filtres", methods=["POST"])
@staff_required
def save_filter():
    """Keep the inbox's current filters under a name."""
    query = filters_query(url_decode(request.form.get("query", "")))

    def save() -> None:
        saved_filters.save(
            db(), current_user.id, request.form.get("name", ""), query, services().clock.now()
        )

    if attempt(save, {Refused: _("Give the filter a name of 1 to 100 characters.")}) is None:
        flash(_("The filter is saved."), "success")
    return redirect(url_for("backoffice.inbox") + (f"?{query}" if query else ""))


@bp.route("/filtres/<int:filter_id>/supprimer", methods=["POST"])
@staff_required
def delete_filter(filter_id: int):
    """Delete one of the agent's saved filters (another's is a 404)."""
    try:
        saved_filters.delete(db(), current_user.id, filter_id)
    except NotFound:
        abort(404)
    db().commit()
    flash(_("The filter is deleted."), "success")
    return back_to_inbox()
