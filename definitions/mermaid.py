"""A workflow as a Mermaid state diagram, with its deadlines and legal clock, in words.

States, transitions and departments are named by their labels (department names when the
caller gives them, from the site config); the notes are in the diagram's language, from the
checker's catalogue (:mod:`definitions.texts`). Ids stay only as Mermaid's node names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .model import Procedure, RoutingRule, State, Workflow
from .texts import N_, translations

_RESERVED = {"end", "state", "note", "direction", "class", "classDef", "style", "click"}

#: Who acts on a transition, in words.
ACTORS = {
    "agent": N_("agent"),
    "supervisor": N_("supervisor"),
    "citizen": N_("citizen"),
    "timer": N_("deadline"),
}
#: Who a reminder is for, in words.
REMINDED = {"agents": N_("the agents"), "citizen": N_("the citizen")}


def _node(state_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", state_id)
    return f"s_{name}" if name in _RESERVED or not name[0].isalpha() else name


def _label(text: str) -> str:
    return text.replace('"', "'").replace(":", " -").replace(";", ",").replace("#", "")


class _Words:
    """The diagram's words in one language."""

    def __init__(self, procedure: Procedure, language: str, departments: Mapping[str, str]):
        self.t = translations(language)
        self.language = language
        self.workflow = procedure.workflow
        self.departments = departments
        self.procedure = procedure

    def __call__(self, msgid: str, **values) -> str:
        return self.t.gettext(msgid) % values if values else self.t.gettext(msgid)

    def span(self, days: int, working: bool) -> str:
        if working:
            return self.t.ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
        return self.t.ngettext("%(n)d day", "%(n)d days", days) % {"n": days}

    def state(self, state_id: str) -> str:
        try:
            return self.workflow.state(state_id).label.get(self.language)
        except KeyError:
            return state_id

    def transition(self, transition_id: str) -> str:
        try:
            transition = self.workflow.transition(transition_id)
        except KeyError:
            return transition_id
        return transition.label.get(self.language) if transition.label else transition_id

    def department(self, key: str | None) -> str:
        return self.departments.get(key, key) if key else ""

    def of_state(self, state: State) -> str:
        if isinstance(state.department, RoutingRule):
            return self(N_("routed by %(field)s"), field=".".join(state.department.by))
        return self.department(state.department or self.procedure.department)


def mermaid(
    procedure: Procedure, language: str = "fr", departments: Mapping[str, str] | None = None
) -> str:
    """The Mermaid ``stateDiagram-v2`` text of a procedure's workflow, in ``language``;
    ``departments`` names the site's departments (id → name)."""
    workflow: Workflow = procedure.workflow
    words = _ = _Words(procedure, language, departments or {})
    lines = ["stateDiagram-v2", f"    %% {procedure.slug} v{procedure.version}"]
    timers: dict[str, str] = {}
    for state in workflow.states:
        for deadline in state.deadlines:
            if deadline.fire:
                timers[deadline.fire] = _(
                    "after %(span)s", span=words.span(deadline.days, deadline.working_days)
                )
    clock = workflow.clock
    if clock:
        timers[clock.fire] = _("legal clock expires")
    for state in workflow.states:
        where = words.of_state(state)
        if state.owner == "citizen":
            where = _("%(department)s, the citizen acts", department=where)
        label = _label(f"{state.label.get(language)} ({where})")
        lines.append(f'    state "{label}" as {_node(state.id)}')
    lines.append(f"    [*] --> {_node(workflow.initial)}")
    for transition in workflow.transitions:
        if transition.actor == "department":
            actor = words.department(transition.actor_department)
        else:
            actor = words(ACTORS[transition.actor]) if transition.actor in ACTORS else ""
        name = words.transition(transition.id)
        if transition.actor == "timer":
            actor = f"{actor}, {timers.get(transition.id, '')}".rstrip(", ")
        guard = (
            _(" [if %(condition)s]", condition=transition.guard.source) if transition.guard else ""
        )
        for source in transition.sources:
            lines.append(
                f"    {_node(source)} --> {_node(transition.target)} : "
                f"{_label(f'{name} ({actor}){guard}')}"
            )
    for state in workflow.states:
        if state.final:
            lines.append(f"    {_node(state.id)} --> [*]")
    for state in workflow.states:
        notes = _notes(words, state)
        if notes:
            lines.append(f"    note right of {_node(state.id)}")
            lines += [f"        {_label(note)}" for note in notes]
            lines.append("    end note")
    return "\n".join(lines) + "\n"


def _notes(words: _Words, state: State) -> list[str]:
    _ = words
    clock = words.workflow.clock
    notes = []
    for deadline in state.deadlines:
        span = words.span(deadline.days, deadline.working_days)
        if deadline.fire:
            notes.append(
                _(
                    "After %(span)s, fires “%(action)s”",
                    span=span,
                    action=words.transition(deadline.fire),
                )
            )
        else:
            whom = REMINDED.get(deadline.remind or "", deadline.remind or "")
            notes.append(_("After %(span)s, reminds %(whom)s", span=span, whom=words(whom)))
    if clock and state.id == clock.starts_in:
        if clock.months:
            length = words.t.ngettext("%(n)d month", "%(n)d months", clock.months) % {
                "n": clock.months
            }
        else:
            length = words.span(clock.days or 0, bool(clock.working_days and clock.days))
        notes.append(_("The legal clock starts here (%(length)s)", length=length))
        if clock.pauses_in:
            states = ", ".join(words.state(s) for s in clock.pauses_in)
            resume = (
                _("starts again on resume")
                if clock.on_resume == "restart"
                else _("goes on on resume")
            )
            notes.append(_("paused in %(states)s (%(resume)s)", states=states, resume=resume))
        if clock.alert_before_days:
            notes.append(
                _("agents alerted %(days)d days before expiry", days=clock.alert_before_days)
            )
        notes.append(_("at expiry, fires “%(action)s”", action=words.transition(clock.fire)))
    if clock and state.id in clock.pauses_in:
        notes.append(_("The legal clock is paused"))
    return notes
