"""The words people read for the engine's vocabulary: a state's label, and what the
history's events, actors, timers and channels are called, for agents and for citizens."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .helpers import text

#: What agents read in a case's history (events, actors, timers) and for its channel.
STAFF_WORDS = {
    "submitted": _l("Filed"),
    "transition": _l("Action"),
    "set": _l("Answer updated"),
    "assigned": _l("Assigned"),
    "migrated": _l("Moved to a new version of the procedure"),
    "citizen": _l("the citizen"),
    "agent": _l("an agent"),
    "supervisor": _l("a supervisor"),
    "administrator": _l("an administrator"),
    "timer": _l("a deadline"),
    "system": _l("the system"),
    "fire": _l("deadline"),
    "remind": _l("reminder"),
    "clock_expiry": _l("legal deadline"),
    "clock_alert": _l("alert before the legal deadline"),
    "online": _l("Online"),
    "counter": _l("Counter"),
    "phone": _l("Phone"),
    "mail": _l("Mail"),
}

#: What citizens read in their request's history; a transition reads as the state it reached.
CITIZEN_EVENTS = {
    "submitted": _l("Request filed"),
    "set": _l("Request updated"),
    "migrated": _l("Request moved to the new version of the procedure"),
}


def state_label(workflow, state_id: str | None, missing: str = "") -> str:
    """A state's label in the reader's language; ``missing`` when there is no state yet (a
    draft), the id itself for a state the workflow does not have."""
    if not state_id:
        return missing
    try:
        return text(workflow.state(state_id).label) or state_id
    except KeyError:
        return state_id


def staff_word(key: str) -> str:
    """Agents' word for an event kind, an actor kind, a timer kind or a channel."""
    return str(STAFF_WORDS[key]) if key in STAFF_WORDS else str(key)


def citizen_event(kind: str) -> str:
    """Citizens' words for a history event other than a transition."""
    return str(CITIZEN_EVENTS[kind]) if kind in CITIZEN_EVENTS else str(kind)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(staff_word=staff_word, citizen_event=citizen_event)
