"""A workflow built for one procedure: its states, transitions, actions and routing.

A workflow's shape is checked once per file (:mod:`definitions.workflow_shape`); what
depends on the procedure that uses it is checked here, once per procedure, by
:meth:`WorkflowReader.build`: the fields its expressions, routing rules and ``set``
actions read, the roles the procedure maps to departments, the connectors it sends to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import fieldtypes
from .expressions import HtmlTemplate
from .model import Action, Clock, Deadline, Field, RoutingRule, State, Transition, Workflow
from .reader import Reader, fits
from .schemas import a_field, describe, suggestion
from .scope import Scope
from .texts import N_, Phrase, joined
from .workflow_shape import WorkflowShape, as_list


class WorkflowReader(WorkflowShape):
    """Checks and builds one workflow: ``data`` is found at ``base`` in ``reader``'s file."""

    def build(
        self,
        fields: Mapping[str, Field],
        roles: Mapping[str, str],
        reader: Reader,
        templates: Callable[[str], str | None] | None = None,
    ) -> Workflow | None:
        """The workflow for one procedure; problems go to ``reader`` (the workflow's file).
        ``templates`` gives the HTML of a document template by name (None: there is none)."""
        before = len(reader.problems)
        self.templates = templates or (lambda name: None)
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
                for d in as_list(data.get("deadline"))
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
                pauses_in=tuple(as_list(c.get("pauses_in"))),
                on_resume=c.get("on_resume", "continue"),
                alert_before_days=c.get("alert_before_days"),
                silence=c.get("silence", "acceptance"),
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
            sources=tuple(as_list(data["from"])),
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
            kinds = [k for k in ("notify", "send", "set", "document") if k in item]
            if not kinds:
                self.error(
                    where,
                    N_("an action needs 'notify', 'send', 'set' or 'document'"),
                    reader=reader,
                )
                continue
            if len(kinds) > 1:
                self.error(
                    where,
                    N_(
                        "an action does one thing, but this one has %(kinds)s: write one "
                        "action for each"
                    ),
                    kinds=joined(kinds, N_("%(first)s and %(rest)s")),
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
            if kind != "document":
                for key in ("name", "to"):
                    if key in item:
                        self.error(
                            (*where, key),
                            N_("%(name)s belongs to 'document' actions, not to '%(kind)s'"),
                            name=repr(key),
                            kind=kind,
                            key=True,
                            reader=reader,
                        )
            if kind == "document":
                action = self.document_action(where, item, scope, reader)
                if action is not None:
                    result.append(action)
            elif kind == "notify":
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

    def document_action(self, where, item: dict, scope: Scope, reader: Reader) -> Action | None:
        """A ``document:`` action: its template must exist (``templates/NAME.html`` beside
        the procedure files) and read only names the action's place may read."""
        full = (*self.base, *where)
        name = item["document"]
        source = self.templates(name)
        if source is None:
            self.error(
                (*where, "document"),
                N_(
                    "there is no document template %(name)s (templates/%(file)s.html beside "
                    "the procedure files)"
                ),
                name=repr(name),
                file=name,
                reader=reader,
            )
            return None
        this = Phrase(N_("the template %(file)s"), file=f"templates/{name}.html")
        if not reader.check_source((*full, "document"), source, scope, template=True, this=this):
            return None
        return Action(
            "document",
            name,
            template=HtmlTemplate(source),
            name=reader.template((*full, "name"), item.get("name"), scope),
            to=item.get("to"),
        )

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
