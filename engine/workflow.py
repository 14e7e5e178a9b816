"""One compiled state machine per procedure version, and who may fire what.

The machine (from the ``transitions`` library) describes the workflow's states and
transitions once per version; it is shared by all the cases of that version and never
has a case attached to it: a case's state lives in the database, and the machine answers
which transitions leave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from definitions.answers import form_schema
from definitions.model import Procedure, Transition

from .models import DEPARTMENT_KINDS, STAFF_KINDS

#: The actor kind of a REST API client: it acts as its departments (``by: {department:}``),
#: and as their agents when it was created so (``as_agent``).
API_KIND = "api"


@dataclass(frozen=True)
class Actor:
    """Who acts: a kind, an account, the departments they belong to."""

    kind: str
    account_id: int | None = None
    departments: frozenset[str] = frozenset()
    tracking_token: str | None = None  # an anonymous citizen, holding a case's link
    #: an API client (kind ``api``): which one, and whether it acts as its departments' agents
    client_id: int | None = None
    as_agent: bool = False

    @classmethod
    def timer(cls) -> Actor:
        return cls("timer")

    @property
    def is_staff(self) -> bool:
        return self.kind in STAFF_KINDS

    @property
    def is_api(self) -> bool:
        return self.kind == API_KIND


def compile_machine(procedure: Procedure) -> Machine:
    workflow = procedure.workflow
    return Machine(
        model=None,
        states=[state.id for state in workflow.states],
        initial=workflow.initial,
        transitions=[
            {"trigger": t.id, "source": list(t.sources), "dest": t.target}
            for t in workflow.transitions
        ],
        auto_transitions=False,
    )


@dataclass
class CompiledProcedure:
    """A procedure version ready to run: its model, machine and form schemas."""

    procedure: Procedure
    version_id: int
    machine: Machine = field(init=False)
    form_schemas: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.machine = compile_machine(self.procedure)
        self.form_schemas = {
            t.id: form_schema(t.form) for t in self.procedure.workflow.transitions if t.form
        }

    def transition(self, transition_id: str) -> Transition | None:
        if transition_id not in self.machine.events:
            return None
        return self.procedure.workflow.transition(transition_id)

    def leaves(self, transition_id: str, state: str | None) -> bool:
        event = self.machine.events.get(transition_id)
        return event is not None and state in event.transitions

    def triggers(self, state: str | None) -> list[str]:
        """The transitions that leave ``state``, in the order they are written."""
        available = set(self.machine.get_triggers(state)) if state else set()
        return [t.id for t in self.procedure.workflow.transitions if t.id in available]


def may_act(
    transition: Transition,
    actor: Actor,
    *,
    department: str | None,
    owner_id: int | None,
    tracking_token: str | None,
) -> bool:
    """Whether ``actor`` is who the transition's ``by:`` names, for a case in ``department``.

    An API client fires its departments' transitions, and their agents' ones when it acts
    as an agent; never a supervisor's, a citizen's or a timer's."""
    kind = transition.actor
    if kind == "timer":
        return actor.kind == "timer"
    if kind == "citizen":
        if actor.kind != "citizen":
            return False
        if owner_id is not None:
            return actor.account_id == owner_id
        return tracking_token is not None and actor.tracking_token == tracking_token
    if kind == "agent":
        acts_as_agent = actor.kind in DEPARTMENT_KINDS or (actor.is_api and actor.as_agent)
        return acts_as_agent and department in actor.departments
    if kind == "supervisor":
        return actor.kind == "supervisor" and department in actor.departments
    if kind == "department":
        return (actor.kind in DEPARTMENT_KINDS or actor.is_api) and (
            transition.actor_department in actor.departments
        )
    return False
