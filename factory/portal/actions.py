"""What the authority asks of the citizen: the citizen's side of a workflow transition,
from the personal space or from the tracking link."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

import renderers
from engine import timeline
from engine.errors import Conflict, Refused
from engine.workflow import Actor

from .. import uploads
from ..access import (
    own_case,
    tracked_case,
)
from ..answers import display
from ..language import current_language, text
from ..services import db, today
from ..translations import form_translations
from .filing import bp, compiled_of

# -- what the authority asks of the citizen ------------------------------------------------------


def what_was_asked(case, compiled) -> list[tuple[str, str]]:
    """(label, answer) of the form the department filled when it asked the citizen for
    something (documents, details): the citizen reads it again where they answer."""
    event = timeline.what_was_asked(db(), case)
    if event is None:
        return []
    step = compiled.transition(event.transition)
    fields = step.form if step is not None else ()
    return [
        (text(field.label) or field.id, display(field, event.values[field.id]))
        for field in fields
        if event.values.get(field.id) not in (None, "", [])
    ]



@bp.route("/mes-demandes/<int:case_id>/actions/<transition_id>", methods=["GET", "POST"])
@bp.route("/suivi/<token>/actions/<transition_id>", methods=["GET", "POST"])
def citizen_action(transition_id: str, case_id: int | None = None, token: str | None = None):
    if token:
        case = tracked_case(token)
        who = Actor(
            "citizen",
            case.owner_id
            if current_user.is_authenticated and current_user.id == case.owner_id
            else None,
            tracking_token=token,
        )
        back = url_for("space.tracking", token=token)
    else:
        if not current_user.is_authenticated:
            abort(404)
        case = own_case(case_id)
        who = current_user.actor
        back = url_for("space.case", case_id=case.id)
    compiled = compiled_of(case)
    transition = compiled.transition(transition_id)
    if (
        transition is None
        or transition.actor != "citizen"
        or not compiled.leaves(transition_id, case.state)
    ):
        abort(404)
    cls = renderers.transition_form(compiled.procedure, transition, language=current_language())
    formdata = (
        CombinedMultiDict([request.form, request.files]) if request.method == "POST" else None
    )
    form = cls(formdata, answers=case.answers, today=today(), translations=form_translations())
    moved_on = _(
        "This action is no longer possible: the request has moved on. Here is where it stands now."
    )
    fired, refused = uploads.fire_with_files(
        case, form, transition_id, who, {(Refused, Conflict): moved_on}
    )
    if fired:
        if refused is None:
            flash(_("Thank you, your answer is sent to the department."), "success")
        return redirect(back)
    return render_template(
        "filing/action.html",
        case=case,
        procedure=compiled.procedure,
        transition=transition,
        form=form,
        back=back,
        asked=what_was_asked(case, compiled),
    ), (422 if request.method == "POST" and form.error_items() else 200)
