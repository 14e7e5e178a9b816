"""Workflows: states, transitions, deadlines, the legal clock, actions and routing.

A workflow is written inside a procedure, or once in ``workflows/NAME.yaml`` for several
procedures, which then map its roles to departments. Its shape (ids, the graph, timers)
is checked once per file by :meth:`WorkflowReader.check_graph`; what depends on the
procedure (fields read by expressions, roles, connectors) by :meth:`WorkflowReader.build`,
once per procedure that uses it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import fieldtypes
from .model import Action, Clock, Deadline, Field, RoutingRule, State, Transition, Workflow
from .reader import Reader, Scope, fits
from .schemas import a_field, describe, suggestion
from .texts import N_, Phrase


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class WorkflowReader:
    """Checks and builds one workflow: ``data`` is found at ``base`` in ``reader``'s file."""

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

    # -- the shape of the workflow, once per file ------------------------------------------

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
            sources = _as_list(transition["from"])
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
                sid in _as_list(t["from"]) for _, t in transitions.values()
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
            for position, item in enumerate(_as_list(deadline)):
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
        if state_id is not None and state_id not in _as_list(transition["from"]):
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
        for position, sid in enumerate(_as_list(pauses)):
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
            for source in _as_list(transition["from"]):
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
            self.check_slug(path, value)

    def check_slug(self, path, slug: str, reader: Reader | None = None) -> None:
        site = self.reader.site
        if site is not None and slug not in site.departments:
            self.error(
                path,
                N_("the department %(name)s is not declared in the site config%(hint)s"),
                name=repr(slug),
                hint=suggestion(slug, site.departments),
                reader=reader,
            )

    # -- what depends on the procedure ------------------------------------------------------

    def build(
        self, fields: Mapping[str, Field], roles: Mapping[str, str], reader: Reader
    ) -> Workflow | None:
        """The workflow for one procedure; problems go to ``reader`` (the workflow's file)."""
        before = len(reader.problems)
        self.fields = fields
        self.roles_map = roles
        scope = Scope(fields)
        states = []
        for sid, (index, data) in self.states.items():
            path = ("states", index)
            department = self.department((*path, "department"), data.get("department"), reader)
            deadlines = tuple(
                Deadline(
                    days=d.get("days") or d.get("working_days") or 0,
                    working_days="working_days" in d,
                    fire=d.get("fire"),
                    remind=d.get("remind"),
                )
                for d in _as_list(data.get("deadline"))
            )
            states.append(
                State(
                    id=sid,
                    label=reader.text((*self.base, *path, "label"), data["label"]),
                    department=department,
                    owner=data.get("owner"),
                    final=bool(data.get("final")),
                    deadlines=deadlines,
                    on_enter=self.actions(
                        (*path, "on_enter"), data.get("on_enter", []), scope, reader
                    ),
                )
            )
        transitions = [
            self.transition(tid, index, data, reader)
            for tid, (index, data) in self.transitions.items()
        ]
        clock = None
        if "clock" in self.data:
            c = self.data["clock"]
            clock = Clock(
                starts_in=c["starts_in"],
                fire=c["fire"],
                days=c.get("days"),
                months=c.get("months"),
                working_days=bool(c.get("working_days")),
                pauses_in=tuple(_as_list(c.get("pauses_in"))),
                on_resume=c.get("on_resume", "continue"),
                alert_before_days=c.get("alert_before_days"),
            )
        if len(reader.problems) != before:
            return None
        return Workflow(
            initial=self.data.get("initial", self.data["states"][0]["id"]),
            states=tuple(states),
            transitions=tuple(transitions),
            clock=clock,
            name=self.name,
        )

    def department(self, path, value: Any, reader: Reader) -> str | RoutingRule | None:
        if value is None:
            return None
        if isinstance(value, dict) and "by" in value:
            self.check_routing(path, value, reader)
            return RoutingRule(
                by=tuple(value["by"].split(".")),
                map=MappingProxyType({str(k): self.role(v) for k, v in value["map"].items()}),
                default=self.role(value["default"]) if "default" in value else None,
            )
        return self.role(value)

    def role(self, value: Any) -> str:
        if isinstance(value, dict):
            return self.roles_map.get(value["role"], value["role"])
        return value

    def check_routing(self, path, rule: dict, reader: Reader) -> None:
        name, _, key = rule["by"].partition(".")
        field = self.fields.get(name)
        if field is None:
            self.error(
                (*path, "by"),
                N_("the routing rule reads %(name)s, which is not a field%(hint)s"),
                name=repr(name),
                hint=suggestion(name, self.fields),
                reader=reader,
            )
            return
        keys = fieldtypes.structured_keys(field.type)
        if key and (keys is None or key not in keys):
            self.error(
                (*path, "by"),
                N_("%(field)s has no %(name)s%(hint)s"),
                field=a_field(field.type),
                name=repr(key),
                hint=suggestion(key, keys or ()),
                reader=reader,
            )
        elif not key and not fieldtypes.registry[field.type].single_value:
            self.error(
                (*path, "by"),
                N_("a routing rule needs a single value; %(name)s is a %(type)s field%(hint)s"),
                name=repr(name),
                type=field.type,
                hint=Phrase(N_(" (route by %(name)s.postcode?)"), name=name)
                if field.type == "address"
                else Phrase(),
                reader=reader,
            )
        elif field.type == "choice":
            for value in rule["map"]:
                if str(value) not in field.options:
                    self.error(
                        (*path, "map", value),
                        N_("%(value)s is not an option of %(name)s%(hint)s"),
                        value=repr(value),
                        name=repr(name),
                        hint=suggestion(str(value), field.options),
                        key=True,
                        reader=reader,
                    )

    def transition(self, tid: str, index: int, data: dict, reader: Reader) -> Transition:
        path = ("transitions", index)
        full = (*self.base, *path)
        by = data["by"]
        actor, actor_department = (
            (by, None) if isinstance(by, str) else ("department", self.role(by["department"]))
        )
        form_fields: tuple[Field, ...] = ()
        if "form" in data:
            bare = reader.fields((*full, "form"), data["form"], None)
            locals_ = {f.id: f for f in bare}
            inner = Scope(self.fields, locals_)
            form_fields = tuple(
                reader.attach_expressions((*full, "form", i), data["form"][i], f, inner)
                for i, f in enumerate(bare)
            )
        scope = Scope(
            self.fields,
            transition={f.id: f for f in form_fields} if "form" in data else None,
            transition_id=tid,
        )
        guard = reader.expression((*full, "if"), data.get("if"), Scope(self.fields))
        return Transition(
            id=tid,
            sources=tuple(_as_list(data["from"])),
            target=data["to"],
            actor=actor,
            actor_department=actor_department,
            label=reader.text((*full, "label"), data.get("label")),
            guard=guard,
            form=form_fields,
            on_fire=self.actions((*path, "on_fire"), data.get("on_fire", []), scope, reader),
        )

    def actions(self, path, items: list, scope: Scope, reader: Reader) -> tuple[Action, ...]:
        result = []
        for index, item in enumerate(items):
            where = (*path, index)
            full = (*self.base, *where)
            kinds = [k for k in ("notify", "send", "set") if k in item]
            if not kinds:
                self.error(where, N_("an action needs 'notify', 'send' or 'set'"), reader=reader)
                continue
            if len(kinds) > 1:
                self.error(
                    where,
                    N_(
                        "an action does one thing, but this one has %(kinds)s: write one "
                        "action for each"
                    ),
                    kinds=_and(kinds),
                    reader=reader,
                )
                continue
            kind = kinds[0]
            if kind != "notify":
                for key in ("subject", "body"):
                    if key in item:
                        self.error(
                            (*where, key),
                            N_("%(name)s belongs to 'notify' actions, not to '%(kind)s'"),
                            name=repr(key),
                            kind=kind,
                            key=True,
                            reader=reader,
                        )
            if kind == "notify":
                result.append(
                    Action(
                        "notify",
                        item["notify"],
                        subject=reader.template((*full, "subject"), item.get("subject"), scope),
                        body=reader.template((*full, "body"), item.get("body"), scope),
                    )
                )
            elif kind == "send":
                site = reader.site
                if site is not None and item["send"] not in site.connectors:
                    self.error(
                        (*where, "send"),
                        N_("the connector %(name)s is not declared in the site config%(hint)s"),
                        name=repr(item["send"]),
                        hint=suggestion(item["send"], site.connectors),
                        reader=reader,
                    )
                result.append(Action("send", item["send"]))
            else:
                self.check_set((*where, "set"), item["set"], scope, reader)
                result.append(Action("set", values=MappingProxyType(dict(item["set"]))))
        return tuple(result)

    def check_set(self, path, values: dict, scope: Scope, reader: Reader) -> None:
        for key, value in values.items():
            field = self.fields.get(key)
            if field is None:
                self.error(
                    (*path, key),
                    N_("'set' names %(name)s, which is not a field%(hint)s"),
                    name=repr(key),
                    hint=suggestion(key, self.fields),
                    key=True,
                    reader=reader,
                )
            elif field.type == "choice" and str(value) not in field.options:
                self.error(
                    (*path, key),
                    N_("%(value)s is not an option of %(name)s%(hint)s"),
                    value=repr(value),
                    name=repr(key),
                    hint=suggestion(str(value), field.options),
                    reader=reader,
                )
            elif isinstance(value, str) and "{{" in value:
                reader.template((*self.base, *path, key), value, scope)
            elif not fits(field, value):
                self.error(
                    (*path, key),
                    N_("%(value)s does not fit %(name)s, %(field)s"),
                    value=describe(value),
                    name=repr(key),
                    field=a_field(field.type),
                    reader=reader,
                )


def _and(words: list[str]) -> Phrase:
    """``notify and send``, ``notify and send and set``."""
    phrase = Phrase("%(word)s", word=words[-1])
    for word in reversed(words[:-1]):
        phrase = Phrase(N_("%(first)s and %(rest)s"), first=word, rest=phrase)
    return phrase


def _roles_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "role" in value:
            return {value["role"]}
        found = set()
        for target in value.get("map", {}).values():
            found |= _roles_in(target)
        return found | _roles_in(value.get("default"))
    return set()
