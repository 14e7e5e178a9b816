"""Who may see which case: the rules every blueprint applies, in one place.

A citizen reaches their own cases (signed in) or one case through its unguessable tracking
link; an anonymous filer reaches the drafts their browser session started; staff reach the
submitted cases of their departments. Anything else is a 404, never a hint that it exists.
"""

from __future__ import annotations

import functools
import hmac

import sqlalchemy as sa
from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from engine.models import Case
from engine.workflow import Actor

from .services import db

# -- citizens and anonymous filers ------------------------------------------------------------


def actor() -> Actor:
    if current_user.is_authenticated:
        return current_user.actor
    return Actor("citizen")


def remember_draft(case: Case) -> None:
    drafts = set(session.get("drafts", []))
    drafts.add(case.id)
    session["drafts"] = sorted(drafts)[-20:]


def may_fill(case: Case) -> bool:
    """The citizen who owns the case; the browser that started it (an anonymous filer); or
    the agent who files it on behalf of a citizen at the counter, by phone or by mail."""
    signed_in = current_user.is_authenticated
    if case.owner_id is not None and signed_in and current_user.id == case.owner_id:
        return True
    in_session = case.id in session.get("drafts", [])
    if case.owner_id is None and in_session:
        return True
    return in_session and signed_in and current_user.is_staff and case.channel != "online"


def draft_case(case_id: int) -> Case:
    """A draft this browser may fill, or 404."""
    case = db().get(Case, case_id)
    if case is None or not case.is_draft or not may_fill(case):
        abort(404)
    return case


def may_delete(case: Case) -> bool:
    """Only a draft's owner deletes it: the signed-in citizen it belongs to, or the browser
    that started an anonymous one."""
    if not case.is_draft:
        return False
    if case.owner_id is not None:
        return current_user.is_authenticated and current_user.id == case.owner_id
    return case.id in session_drafts()


def session_drafts() -> list[int]:
    return [i for i in session.get("drafts", []) if isinstance(i, int)]


def citizen_actor(case: Case | None = None, token: str | None = None) -> Actor:
    if current_user.is_authenticated and current_user.kind == "citizen":
        return Actor("citizen", current_user.id, tracking_token=token)
    return Actor("citizen", None, tracking_token=token)


def own_case(case_id: int) -> Case:
    """The signed-in citizen's case, or 404."""
    case = db().get(Case, case_id)
    if case is None or current_user.kind != "citizen" or case.owner_id != current_user.id:
        abort(404)
    return case


def tracked_case(token: str) -> Case:
    """The case behind a tracking link, or 404 (compared in constant time)."""
    case = db().scalars(sa.select(Case).where(Case.tracking_token == token)).first()
    if case is None or not hmac.compare_digest(case.tracking_token, token):
        abort(404)
    return case


# -- staff ------------------------------------------------------------------------------------


def staff_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        if not current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def staff_case(case_id: int) -> Case:
    """A submitted case of one of the agent's departments, or 404."""
    case = db().get(Case, case_id)
    if case is None or case.is_draft or case.department not in current_user.departments:
        abort(404)
    return case
