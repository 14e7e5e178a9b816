"""How a definition form shows in HTML: one :class:`FieldView` per field (and per group
item), each with the visibility its ``visible_if`` gets: judged by the server once and for
all, sent to the browser (``conditions.js``), or left shown for want of either."""

from __future__ import annotations

from definitions.model import Field

from .conditions import names_read, to_client, to_json
from .fields.base import FieldType
from .views import FieldView, ItemView, Visibility


def field_views(form) -> list[FieldView]:
    """One view per field of ``form``, in order (``info`` included)."""
    return [field_view(form, name, kind) for name, kind in form.kinds.items()]


def _client_inputs(form) -> dict[str, tuple[str, str]]:
    return {
        name: (form._fields[name].name, kind.type)
        for name, kind in form.stored_kinds().items()
        if kind.client_readable
    }


def _visibility(form, field: Field, inputs, local: set[str], shown, outer: bool = False):
    """How the condition of ``field`` shows in HTML. ``local`` are the names whose
    inputs are on this page: a condition that reads none of them is judged by the
    server once and for all; one that does goes to the browser (conditions.js), or,
    when the browser cannot evaluate it, leaves the field shown so that it can be
    filled (an ``info`` text, which has nothing to fill, follows the server)."""
    if field.visible_if is None:
        return Visibility(conditional=outer)
    if not names_read(field.visible_if) & local:
        return Visibility(hidden=not shown(), conditional=True)
    tree = to_client(field.visible_if, inputs, form.client_constants())
    if tree is None and field.type == "info":
        return Visibility(hidden=not shown(), conditional=True)
    return Visibility(condition=to_json(tree), conditional=True)


def field_view(form, name: str, kind: FieldType) -> FieldView:
    """The view of the form's field ``name``, its group's items included."""
    inputs = _client_inputs(form)
    visibility = _visibility(form, kind.field, inputs, set(form.kinds), lambda: form.visible(name))
    field = form._fields.get(name)
    view_id = field.id if field is not None else f"{form._prefix}{name}"
    if kind.type != "group":
        return FieldView(form, kind, field, id=view_id, visibility=visibility)
    view = FieldView(form, kind, field, id=view_id, visibility=visibility)
    view.items = [
        _item_view(form, view, kind, entry, index, inputs, visibility.conditional)
        for index, entry in enumerate(field.entries)
    ]
    return view


def _item_view(form, group_view, kind, entry, index, page_inputs, conditional) -> ItemView:
    item_form = entry.form
    legend = kind.legend(index, form.gettext)
    inputs = dict(page_inputs)
    for sub_name, sub_kind in item_form.kinds.items():
        if sub_kind.client_readable:
            inputs[sub_name] = (item_form[sub_name].name, sub_kind.type)
    local = set(form.kinds) | {sub.id for sub in kind.field.fields}
    views = []
    for sub_name, sub_kind in kind.sub_kinds().items():
        sub_input = item_form._fields.get(sub_name)
        visibility = _visibility(
            form,
            sub_kind.field,
            inputs,
            local,
            lambda sub_name=sub_name: item_form.visible(sub_name),
            outer=conditional,
        )
        views.append(
            FieldView(
                form,
                sub_kind,
                sub_input,
                id=sub_input.id if sub_input is not None else f"{entry.id}-{sub_name}",
                visibility=visibility,
                label_prefix=f"{legend} – ",
            )
        )
    return ItemView(group_view, index, entry.id, legend, views)
