"""A workflow as a Mermaid state diagram, with its deadlines and legal clock."""

from __future__ import annotations

import re

from .model import Procedure, RoutingRule, State, Workflow

_RESERVED = {"end", "state", "note", "direction", "class", "classDef", "style", "click"}


def _node(state_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", state_id)
    return f"s_{name}" if name in _RESERVED or not name[0].isalpha() else name


def _label(text: str) -> str:
    return text.replace('"', "'").replace(":", " -").replace(";", ",").replace("#", "")


def _span(days: int, working: bool) -> str:
    return f"{days} {'working ' if working else ''}day{'s' if days > 1 else ''}"


def _department(state: State) -> str:
    if isinstance(state.department, RoutingRule):
        return "routed by " + ".".join(state.department.by)
    return state.department or ""


def mermaid(procedure: Procedure, language: str = "fr") -> str:
    """The Mermaid ``stateDiagram-v2`` text of a procedure's workflow."""
    workflow: Workflow = procedure.workflow
    lines = ["stateDiagram-v2", f"    %% {procedure.slug} v{procedure.version}"]
    timers: dict[str, str] = {}
    for state in workflow.states:
        for deadline in state.deadlines:
            if deadline.fire:
                timers[deadline.fire] = "after " + _span(deadline.days, deadline.working_days)
    clock = workflow.clock
    if clock:
        timers[clock.fire] = "legal clock expires"
    for state in workflow.states:
        department = _department(state) or procedure.department
        owner = ", citizen acts" if state.owner == "citizen" else ""
        label = _label(f"{state.label.get(language)} ({department}{owner})")
        lines.append(f'    state "{label}" as {_node(state.id)}')
    lines.append(f"    [*] --> {_node(workflow.initial)}")
    for transition in workflow.transitions:
        actor = (
            transition.actor_department if transition.actor == "department" else transition.actor
        )
        name = transition.label.get(language) if transition.label else transition.id
        detail = f"timer, {timers.get(transition.id, '')}" if transition.actor == "timer" else actor
        guard = f" [if {transition.guard.source}]" if transition.guard else ""
        for source in transition.sources:
            lines.append(
                f"    {_node(source)} --> {_node(transition.target)} : "
                f"{_label(f'{name} ({detail}){guard}')}"
            )
    for state in workflow.states:
        if state.final:
            lines.append(f"    {_node(state.id)} --> [*]")
    for state in workflow.states:
        notes = []
        for deadline in state.deadlines:
            span = _span(deadline.days, deadline.working_days)
            if deadline.fire:
                notes.append(f"Deadline {span} then fires {deadline.fire}")
            else:
                notes.append(f"After {span} reminds the {deadline.remind}")
        if clock and state.id == clock.starts_in:
            length = f"{clock.months} months" if clock.months else _span(clock.days or 0, False)
            if clock.working_days and clock.days:
                length = _span(clock.days, True)
            notes.append(f"Legal clock starts here - {length}")
            if clock.pauses_in:
                notes.append(
                    f"paused in {', '.join(clock.pauses_in)} ({clock.on_resume} on resume)"
                )
            if clock.alert_before_days:
                notes.append(f"agents alerted {clock.alert_before_days} days before expiry")
            notes.append(f"at expiry fires {clock.fire}")
        if clock and state.id in clock.pauses_in:
            notes.append("Legal clock paused")
        if notes:
            lines.append(f"    note right of {_node(state.id)}")
            lines += [f"        {_label(note)}" for note in notes]
            lines.append("    end note")
    return "\n".join(lines) + "\n"
