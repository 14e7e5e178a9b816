"""The shape of a workflow, checked once per file: ids, the graph, deadlines, the clock
and the departments its states and actors name.

A workflow is written inside a procedure, or once in ``workflows/NAME.yaml`` for several
procedures. What does not depend on the procedure that uses it is checked here, by
:meth:`WorkflowShape.check_graph`: ids used once, transitions between states that exist,
no way out of a final state and a way out of every other, every state reachable, timers
fired by a deadline or the clock, and departments declared in the site config (roles only
in a reusable workflow). What depends on the procedure is :mod:`definitions.workflows`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .reader import Reader
from .schemas import suggestion
from .texts import N_, Phrase


def as_list(value: Any) -> list:
    """A value that is one item or a list of them, as a list (``None``: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class WorkflowShape:
    """One workflow's data, found at ``base`` in ``reader``'s file, and the checks of its
    shape; :class:`definitions.workflows.WorkflowReader` builds it for a procedure."""

    def __init__(self, reader: Reader, base: tuple, data: dict, *, reusable: bool, name=None):
        self.reader = reader
        self.base = base
        self.data = data
        self.reusable = reusable
        self.name = name
        self.states = {s["id"]: (i, s) for i, s in enumerate(data["states"])}
        self.transitions = {t["id"]: (i, t) for i, t in enumerate(data["transitions"])}
        self.graph_ok: bool | None = None

    def error(
        self, path, message: str, /, *, key: bool = False, reader: Reader | None = None, **params
    ):
        (reader or self.reader).error((*self.base, *path), message, key=key, **params)

    @property
    def roles(self) -> set[str]:
        """The roles this workflow's states and actors name."""
        found = set()
        for _, state in self.states.values():
            found |= _roles_in(state.get("department"))
        for _, transition in self.transitions.values():
            by = transition["by"]
            if isinstance(by, dict):
                found |= _roles_in(by["department"])
        return found

    def check_graph(self) -> bool:
        before = len(self.reader.problems)
        self.check_unique("states", "state")
        self.check_unique("transitions", "transition")
        if len(self.reader.problems) != before:
            return False  # with ids used twice, the graph would be misread: fix them first
        states, transitions = self.states, self.transitions
        finals = {sid for sid, (_, s) in states.items() if s.get("final")}
        initial = self.data.get("initial", self.data["states"][0]["id"])
        if initial not in states:
            self.error(
                ("initial",),
                N_("the initial state %(state)s does not exist%(hint)s"),
                state=repr(initial),
                hint=suggestion(initial, states),
            )
        broken_edges = False
        for tid, (index, transition) in transitions.items():
            path = ("transitions", index)
            sources = as_list(transition["from"])
            for position, source in enumerate(sources):
                where = (
                    (*path, "from", position)
                    if isinstance(transition["from"], list)
                    else (*path, "from")
                )
                if source not in states:
                    broken_edges = True
                    self.error(
                        where,
                        N_(
                            "the transition %(transition)s leaves from %(state)s, which is not "
                            "a state%(hint)s"
                        ),
                        transition=repr(tid),
                        state=repr(source),
                        hint=suggestion(source, states),
                    )
                elif source in finals:
                    self.error(
                        where,
                        N_(
                            "the transition %(transition)s leaves the final state %(state)s; "
                            "a final state ends the case"
                        ),
                        transition=repr(tid),
                        state=repr(source),
                    )
            if transition["to"] not in states:
                broken_edges = True
                self.error(
                    (*path, "to"),
                    N_(
                        "the transition %(transition)s goes to %(state)s, "
                        "which is not a state%(hint)s"
                    ),
                    transition=repr(tid),
                    state=repr(transition["to"]),
                    hint=suggestion(transition["to"], states),
                )
        fired = self.check_deadlines(finals) | self.check_clock(finals)
        for tid, (index, transition) in transitions.items():
            if transition["by"] == "timer" and tid not in fired:
                self.error(
                    ("transitions", index, "by"),
                    N_(
                        "the timer transition %(transition)s is fired by no deadline and no "
                        "clock; add a deadline that fires it, or change 'by'"
                    ),
                    transition=repr(tid),
                )
            if transition["by"] == "timer" and transition.get("form"):
                self.error(
                    ("transitions", index, "form"),
                    N_(
                        "the timer transition %(transition)s has a form, but no one fills it: "
                        "remove the form"
                    ),
                    transition=repr(tid),
                    key=True,
                )
        if not finals:
            self.error(
                ("states",),
                N_(
                    "this workflow has no final state: mark the states that end "
                    "a case with 'final: true'"
                ),
                key=True,
            )
        # A misnamed 'from' or 'to' is reported once, not again as its consequences.
        for sid, (index, _) in states.items() if not broken_edges else ():
            if sid not in finals and not any(
                sid in as_list(t["from"]) for _, t in transitions.values()
            ):
                self.error(
                    ("states", index, "id"),
                    N_(
                        "the state %(state)s is not final and has no way "
                        "out: add a transition from it, or mark it 'final: true'"
                    ),
                    state=repr(sid),
                )
        if initial in states and not broken_edges:
            for sid in self.unreachable(initial):
                self.error(
                    ("states", states[sid][0], "id"),
                    N_("the state %(state)s cannot be reached from the initial state %(initial)s"),
                    state=repr(sid),
                    initial=repr(initial),
                )
        self.check_departments()
        self.graph_ok = len(self.reader.problems) == before
        return self.graph_ok

    def check_unique(self, key: str, what: str) -> None:
        seen: dict[str, int] = {}
        for index, item in enumerate(self.data[key]):
            if item["id"] in seen:
                line = self.reader.document.where((*self.base, key, seen[item["id"]], "id"))[0]
                self.error(
                    (key, index, "id"),
                    N_("the state id %(id)s is used twice (first at line %(line)s)")
                    if what == "state"
                    else N_("the transition id %(id)s is used twice (first at line %(line)s)"),
                    id=repr(item["id"]),
                    line=line,
                )
            else:
                seen[item["id"]] = index

    def check_deadlines(self, finals: set[str]) -> set[str]:
        fired = set()
        for sid, (index, state) in self.states.items():
            deadline = state.get("deadline")
            for position, item in enumerate(as_list(deadline)):
                path = ("states", index, "deadline") + (
                    (position,) if isinstance(deadline, list) else ()
                )
                if "days" in item and "working_days" in item:
                    self.error(path, N_("a deadline takes 'days' or 'working_days', not both"))
                elif "days" not in item and "working_days" not in item:
                    self.error(path, N_("a deadline needs 'days' or 'working_days'"))
                if "fire" in item and "remind" in item:
                    self.error(
                        path,
                        N_(
                            "a deadline either fires a transition ('fire') or reminds "
                            "('remind'), not both: write two deadlines in a list"
                        ),
                    )
                elif "fire" not in item and "remind" not in item:
                    self.error(
                        path,
                        N_(
                            "a deadline needs 'fire: TRANSITION' or 'remind: agents' "
                            "(or 'remind: citizen')"
                        ),
                    )
                if "fire" in item:
                    fired.add(item["fire"])
                    self.check_timer((*path, "fire"), item["fire"], sid)
        return fired

    def check_timer(self, path, tid: str, state_id: str | None) -> None:
        if tid not in self.transitions:
            self.error(
                path,
                N_("%(transition)s is not a transition%(hint)s"),
                transition=repr(tid),
                hint=suggestion(tid, self.transitions),
            )
            return
        transition = self.transitions[tid][1]
        if transition["by"] != "timer":
            self.error(
                path,
                N_("the transition %(transition)s is fired by a timer, so it must say 'by: timer'"),
                transition=repr(tid),
            )
        if state_id is not None and state_id not in as_list(transition["from"]):
            self.error(
                path,
                N_(
                    "the transition %(transition)s does not leave the state %(state)s, so "
                    "its deadline cannot fire it"
                ),
                transition=repr(tid),
                state=repr(state_id),
            )

    def check_clock(self, finals: set[str]) -> set[str]:
        clock = self.data.get("clock")
        if clock is None:
            return set()
        path = ("clock",)
        if "days" in clock and "months" in clock:
            self.error(path, N_("the clock takes 'days' or 'months', not both"))
        elif "days" not in clock and "months" not in clock:
            self.error(path, N_("the clock needs 'days' or 'months'"))
        for key in ("starts_in",):
            if clock[key] not in self.states:
                self.error(
                    (*path, key),
                    N_("%(state)s is not a state%(hint)s"),
                    state=repr(clock[key]),
                    hint=suggestion(clock[key], self.states),
                )
            elif clock[key] in finals:
                self.error((*path, key), N_("the clock cannot start in a final state"))
        pauses = clock.get("pauses_in")
        for position, sid in enumerate(as_list(pauses)):
            where = (*path, "pauses_in") + ((position,) if isinstance(pauses, list) else ())
            if sid not in self.states:
                self.error(
                    where,
                    N_("%(state)s is not a state%(hint)s"),
                    state=repr(sid),
                    hint=suggestion(sid, self.states),
                )
            elif sid in finals:
                self.error(
                    where,
                    N_("the clock cannot pause in the final state %(state)s: final states stop it"),
                    state=repr(sid),
                )
        # a month counts at least 28 days
        days = clock.get("days") or 28 * (clock.get("months") or 0)
        if "alert_before_days" in clock and days and clock["alert_before_days"] >= days:
            self.error(
                (*path, "alert_before_days"),
                N_(
                    "the alert must come before the clock expires: alert_before_days must be "
                    "less than %(days)s%(months)s"
                ),
                days=days,
                months=Phrase(N_(" (the shortest months)") if "months" in clock else ""),
            )
        self.check_timer((*path, "fire"), clock["fire"], None)
        return {clock["fire"]}

    def unreachable(self, initial: str) -> list[str]:
        edges: dict[str, set[str]] = {}
        for _, transition in self.transitions.values():
            for source in as_list(transition["from"]):
                edges.setdefault(source, set()).add(transition["to"])
        seen, queue = {initial}, deque([initial])
        while queue:
            for target in edges.get(queue.popleft(), ()):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return [sid for sid in self.states if sid not in seen]

    def check_departments(self) -> None:
        for _, (index, state) in self.states.items():
            if "department" in state:
                self.check_department(("states", index, "department"), state["department"])
        for _, (index, transition) in self.transitions.items():
            if isinstance(transition["by"], dict):
                self.check_department(
                    ("transitions", index, "by", "department"), transition["by"]["department"]
                )

    def check_department(self, path, value: Any) -> None:
        if isinstance(value, dict) and "role" in value:
            if not self.reusable:
                self.error(
                    path,
                    N_(
                        "roles are for reusable workflows (workflows/NAME.yaml); name a "
                        "department here"
                    ),
                )
        elif isinstance(value, dict):
            for key, target in value["map"].items():
                self.check_department((*path, "map", key), target)
            if "default" in value:
                self.check_department((*path, "default"), value["default"])
        else:
            self.reader.check_department((*self.base, *path), value)


def _roles_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "role" in value:
            return {value["role"]}
        found = set()
        for target in value.get("map", {}).values():
            found |= _roles_in(target)
        return found | _roles_in(value.get("default"))
    return set()
