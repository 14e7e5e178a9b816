"""The WTForms forms of a procedure's pages and of transitions' forms: what they hold,
how they judge conditions, validate, and give answers back.

:func:`renderers.form_classes.page_form` and :func:`~renderers.form_classes.transition_form`
build the classes; :mod:`renderers.form_views` makes what templates read. An instance is
made per request::

    PageForm = page_form(procedure, page, language="fr")
    form = PageForm(request_data_or_None, answers=draft, today=today, translations=t)
    if form.group_action:        # "add:<group>" / "remove:<group>:<i>": re-render, no save
        ...
    elif form.validate():
        draft = {k: v for k, v in draft.items() if k not in form.field_ids} | answers_from(form)

The form judges ``visible_if`` itself, on the values just posted and the other answers:
hidden fields are neither validated nor returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from definitions.answers import expression_context
from definitions.model import Field, Page, Procedure, Transition

from .fields.base import FieldType, SubForm, clear_errors, condition_holds
from .form_views import field_views
from .formdata import named_only
from .i18n import N_
from .views import ACTION, ErrorItem, FieldView

#: What WTForms' and Flask-WTF's CSRF fields say, translated by the form's translations
#: when the app turns CSRF on.
CSRF_MESSAGES = (
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("CSRF token missing."),
    N_("Invalid CSRF Token."),
)


@dataclass(frozen=True)
class GroupAction:
    """A submit that adds or removes a group's item: the page is shown again, unsaved.

    ``applied`` is False when it could not be done (already at ``max_items``…)."""

    kind: str  # "add" | "remove"
    group: str  # the group's field id
    index: int | None
    applied: bool


class DefinitionForm(SubForm):
    """A form made from definition fields; see :func:`page_form`, :func:`transition_form`.

    Fields are read with ``form[field_id]``. Instances take, besides WTForms' ``formdata``
    (request data, files included; None when the page is only shown):

    - ``answers``: the answers known so far (the draft, or the case's): they fill the form
      when nothing is posted, and conditions read them;
    - ``today`` (and optionally ``now``, ``case``): for relative date bounds and conditions;
    - ``translations``: an object with ``gettext``/``ngettext`` (also ``meta={"translations":
      …}``); English msgids when omitted.
    """

    procedure: Procedure
    definitions: tuple[Field, ...] = ()
    kinds: Mapping[str, FieldType] = {}
    definition_language: str = "fr"
    title: str = ""
    default_today: dt.date | None = None

    def __init__(
        self,
        formdata=None,
        *,
        answers: Mapping[str, Any] | None = None,
        today: dt.date | None = None,
        now: dt.datetime | None = None,
        case: Any = None,
        context: Mapping[str, Any] | None = None,
        translations=None,
        prefix: str = "",
        data: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ):
        today = today or self.default_today
        if today is None:
            raise TypeError(f"{type(self).__name__} needs today= (relative dates, conditions)")
        self.today = today
        self.now = now
        self.case = case
        self.answers = dict(answers or {})
        self.extra_context = dict(context or {})
        self.group_action: GroupAction | None = None
        #: ``(field id, attachment id)`` when a "Remove" button of a stored file was pressed
        self.detached: tuple[str, str] | None = None
        #: What the app knows of stored files, to show them: ``{id: (name, size)}``
        self.attachment_info: dict[str, tuple[str, int | None]] = {}
        #: Answers certified by an identity provider: ``{field id: note}``, shown read-only
        #: with the note (the application keeps their values whatever is posted)
        self.certified: dict[str, str] = {}
        self._context: dict[str, Any] | None = None
        self._views: list[FieldView] | None = None
        meta = dict(meta or {})
        if translations is not None:
            meta["translations"] = translations
        posted = formdata is not None
        if posted:
            formdata = named_only(formdata)
        if data is None:
            data = self.initial_data(posted)
        super().__init__(formdata, prefix=prefix, data=data, meta=meta)
        if posted:
            self.apply_action(formdata)

    # -- the fields -------------------------------------------------------------------

    @classmethod
    def stored_kinds(cls) -> dict[str, FieldType]:
        return {name: kind for name, kind in cls.kinds.items() if kind.stores_value}

    @property
    def field_ids(self) -> frozenset[str]:
        """The ids of the answers this form stores (to drop stale ones when saving)."""
        return frozenset(self.stored_kinds())

    @property
    def has_groups(self) -> bool:
        return any(kind.type == "group" for kind in self.kinds.values())

    @property
    def csrf_field(self):
        """WTForms' CSRF field, when the app turned CSRF on through ``meta``."""
        return self._fields.get(self.meta.csrf_field_name) if self.meta.csrf else None

    def initial_data(self, posted: bool) -> dict[str, Any]:
        """The form data from ``answers`` (and defaults, when nothing is posted)."""
        data = {}
        for name, kind in self.stored_kinds().items():
            if posted:
                if name in self.answers:
                    kept = kind.posted_data(self.answers[name])
                    if kept is not None:
                        data[name] = kept
            elif name in self.answers and self.answers[name] is not None:
                data[name] = kind.from_answer(self.answers[name])
            else:
                initial = kind.initial(self.today)
                if initial is not None:
                    data[name] = initial
        return data

    # -- conditions -------------------------------------------------------------------

    def own_values(self) -> dict[str, Any]:
        """This form's values as answers (unreadable ones as None), for conditions."""
        return {
            name: kind.context_value(self._fields[name])
            for name, kind in self.stored_kinds().items()
        }

    def build_context(self, own: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def context(self) -> dict[str, Any]:
        """What this form's conditions see (computed once per state of the form)."""
        if self._context is None:
            self._context = self.build_context(self.own_values())
        return self._context

    def visible(self, field_id: str) -> bool:
        """Whether the field is shown, judged on the values posted and the answers."""
        kind = self.kinds.get(field_id)
        if kind is None or kind.field.visible_if is None:
            return True
        return condition_holds(kind.field.visible_if, self.context())

    def client_constants(self) -> dict[str, Any]:
        """Values the browser cannot read but conditions may: earlier pages' answers."""
        own = set(self.kinds)
        return {name: self.answers.get(name) for name in self.procedure.fields if name not in own}

    # -- validation and answers -------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        """Validate the visible fields; hidden ones are skipped and keep no errors."""
        self._context = None
        self._views = None
        valid = True
        for name, field in self._fields.items():
            if name in self.kinds and not self.visible(name):
                clear_errors(field)
                continue
            extra = extra_validators.get(name, ()) if extra_validators else ()
            if not field.validate(self, extra):
                valid = False
        return valid

    def answers_from_fields(self) -> dict[str, Any]:
        answers = {}
        for name, kind in self.stored_kinds().items():
            if not self.visible(name):
                continue
            value = kind.to_answer(self._fields[name])
            if value is not None:
                answers[name] = value
        return answers

    # -- groups without JavaScript ----------------------------------------------------

    def apply_action(self, formdata) -> GroupAction | None:
        """Apply an ``action`` submit (``add:<group>``, ``remove:<group>:<index>``)."""
        formdata = self.meta.wrap_formdata(self, formdata)
        values = formdata.getlist(ACTION) if hasattr(formdata, "getlist") else []
        value = next((v for v in values if isinstance(v, str) and ":" in v), None)
        if value is None:
            return None
        verb, _, rest = value.partition(":")
        groups = {
            self._fields[name].name: name
            for name, kind in self.stored_kinds().items()
            if kind.type == "group"
        }
        if verb == "add" and rest in groups:
            name = groups[rest]
            applied = self.kinds[name].add_item(self._fields[name], self.today)
            self.group_action = GroupAction("add", name, None, applied)
        elif verb == "remove":
            target, _, index = rest.rpartition(":")
            # ASCII digits only: "²" is a digit to isdigit(), not to int()
            if target in groups and index.isascii() and index.isdigit() and len(index) < 10:
                name = groups[target]
                applied = self.kinds[name].remove_item(self._fields[name], int(index))
                self.group_action = GroupAction("remove", name, int(index), applied)
        elif verb == "detach":
            target, _, attachment = rest.rpartition(":")
            files = {
                self._fields[name].name: name
                for name, kind in self.stored_kinds().items()
                if kind.type == "file"
            }
            if target in files and self._fields[files[target]].detach(attachment):
                self.detached = (files[target], attachment)
        self._context = None
        self._views = None
        return self.group_action

    # -- what the templates read ------------------------------------------------------

    @property
    def field_views(self) -> list[FieldView]:
        """One view per field, in order (``info`` included), for ``render_fields``."""
        if self._views is None:
            self._views = field_views(self)
        return self._views

    def error_items(self) -> list[ErrorItem]:
        """Every error of the form, in page order, for the error summary."""
        found = [ErrorItem(None, "", message) for message in self.form_errors]
        csrf = self.csrf_field
        if csrf is not None:
            found += [ErrorItem(None, "", message) for message in csrf.errors]
        for view in self.field_views:
            found += view.error_items()
        return found


class PageForm(DefinitionForm):
    """The form of one page of a procedure."""

    page: Page

    def build_context(self, own):
        others = {k: v for k, v in self.answers.items() if k not in own}
        return expression_context(
            self.procedure.fields, others | own, today=self.today, now=self.now, case=self.case
        )


class TransitionForm(DefinitionForm):
    """The form of a transition (agents' and citizens' ones alike)."""

    transition: Transition

    def build_context(self, own):
        base = (
            expression_context(
                self.procedure.fields, self.answers, today=self.today, now=self.now, case=self.case
            )
            | self.extra_context
        )
        return base | expression_context(
            self.definitions, own, today=self.today, now=self.now, case=base.get("case")
        )


def answers_from(form: DefinitionForm) -> dict[str, Any]:
    """The answers of the form's visible fields, as stored: phones in E.164, IBANs
    compact, dates ISO, integers int, decimals float, addresses and locations as dicts,
    groups as lists of dicts; files as the uploaded objects (or the ids already stored).
    Empty and hidden fields are left out."""
    return form.answers_from_fields()


def form_data_from(
    form: DefinitionForm | type[DefinitionForm], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The WTForms ``data`` that shows stored ``answers`` again in ``form`` (a class or an
    instance). Forms do it themselves from ``answers=``; this is for other uses."""
    kinds = form.stored_kinds()
    return {
        name: kind.from_answer(answers[name])
        for name, kind in kinds.items()
        if name in answers and answers[name] is not None
    }
