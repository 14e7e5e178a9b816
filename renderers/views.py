"""What the Jinja macros read: one :class:`FieldView` per field of a form.

A view gathers, for one field, the definition (label, hint, unit), the WTForms field
(name, value, errors) and the accessibility wiring the macros need (ids of the hint, the
error and the unit, ``aria-describedby``, ``required``, ``autocomplete``, ``inputmode``,
the ``data-visible-if`` condition). The macros only print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields.base import FieldType

#: The name of the submit buttons that add or remove a group's items.
ACTION = "action"


@dataclass(frozen=True)
class Option:
    """One radio, check box or ``<option>``."""

    key: str
    label: str
    id: str
    checked: bool


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary: a link to ``#anchor``."""

    anchor: str | None
    label: str
    message: str


@dataclass(frozen=True)
class Visibility:
    """How a field's ``visible_if`` shows in HTML."""

    condition: str | None = None  # JSON tree for conditions.js, if it can evaluate it
    hidden: bool = False  # hidden when rendered (the server knows it stays hidden)
    conditional: bool = False  # the field, or the group holding it, has a visible_if


@dataclass(frozen=True)
class AttachmentView:
    """A file already sent, shown in its file field with a "Remove" button."""

    id: str
    name: str
    size: str | None
    remove_action: str
    remove_label: str


class FieldView:
    """One field as the templates see it."""

    def __init__(
        self,
        form,
        kind: FieldType,
        input,
        *,
        id: str,
        visibility: Visibility = Visibility(),
        items: list[ItemView] | None = None,
        label_prefix: str = "",
    ):
        self.form = form
        self.kind = kind
        self.field = kind.field
        self.input = input
        self.id = id
        self.name = input.name if input is not None else None
        self.condition = visibility.condition
        self.hidden = visibility.hidden
        self.conditional = visibility.conditional
        self.items = items or []
        self.label_prefix = label_prefix  # "Enfant 2 – " in a group's item, for the summary

    def __repr__(self) -> str:
        return f"<FieldView {self.id!r} {self.field.type}>"

    # -- what renders it --------------------------------------------------------------

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def macro(self) -> str:
        return self.kind.macro

    @property
    def template(self) -> str:
        return self.kind.template

    @property
    def wrapper_id(self) -> str:
        return f"{self.id}-field"

    # -- texts ------------------------------------------------------------------------

    def gettext(self, msgid: str, **values: Any) -> str:
        return self.form.gettext(msgid, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.form.ngettext(singular, plural, n, **values)

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def required(self) -> bool:
        """Marked "(required)" in the label: required whenever it is shown."""
        return self.field.required and self.kind.stores_value

    @property
    def required_attribute(self) -> bool:
        """The HTML ``required`` attribute: only when required unconditionally (a field
        shown by a condition is required only when the server judges it visible)."""
        if not self.required or self.conditional:
            return False
        if self.type == "file" and self.input.existing:
            return False
        return self.kind.html_required

    @property
    def required_text(self) -> str:
        return self.gettext("(required)")

    @property
    def hints(self) -> list[str]:
        """The definition's hint, then the expected format, then notes on the value."""
        lines = [self.kind.hint, self.kind.format_hint(self.form)]
        if self.input is not None:
            lines += self.kind.notes(self.input, self.form)
        lines.append(self.certified)
        return [line for line in lines if line]

    @property
    def certified(self) -> str | None:
        """The note of an answer certified by an identity provider (shown read-only), or
        None. The form's ``certified`` maps field ids to these notes."""
        if self.input is None:
            return None
        return getattr(self.form, "certified", {}).get(self.input.name)

    @property
    def hint_id(self) -> str | None:
        return f"{self.id}-hint" if self.hints else None

    @property
    def unit(self) -> str | None:
        return self.kind.unit

    @property
    def unit_id(self) -> str | None:
        return f"{self.id}-unit" if self.unit else None

    @property
    def paragraphs(self) -> list[str]:
        """An ``info`` field's text."""
        return self.kind.paragraphs() if hasattr(self.kind, "paragraphs") else []

    # -- errors -----------------------------------------------------------------------

    @property
    def errors(self) -> list[str]:
        """This field's own messages (an address's are on its parts)."""
        if self.input is None or self.kind.fieldset and self.parts:
            return []
        errors = self.input.errors
        return (
            [e for e in errors if isinstance(e, str)] if isinstance(errors, (list, tuple)) else []
        )

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def error_prefix(self) -> str:
        return self.gettext("Error:")

    @property
    def describedby(self) -> str | None:
        """``aria-describedby`` of the input (or of the fieldset): hint, error, unit."""
        ids = [self.hint_id, self.error_id if self.errors else None, self.unit_id]
        return " ".join(i for i in ids if i) or None

    @property
    def anchor(self) -> str:
        return self.kind.anchor(self.input) if self.input is not None else self.id

    def error_items(self) -> list[ErrorItem]:
        """The summary's lines for this field, its parts and its items."""
        if self.hidden:
            return []
        label = self.label_prefix + self.label
        found = [ErrorItem(self.anchor, label, message) for message in self.errors]
        for part in self.parts:
            found += [ErrorItem(part.id, f"{label} – {part.label}", m) for m in part.errors]
        for item in self.items:
            for view in item.fields:
                found += view.error_items()
        return found

    # -- values -----------------------------------------------------------------------

    @property
    def value(self) -> str:
        if self.input is None:
            return ""
        reader = getattr(self.input, "_value", None)
        if reader is not None:
            return reader()
        return "" if self.input.data is None else str(self.input.data)

    @property
    def checked(self) -> bool:
        return bool(self.input is not None and self.input.data)

    @property
    def input_type(self) -> str:
        return self.kind.input_type

    @property
    def autocomplete(self) -> str | None:
        return self.kind.autocomplete

    @property
    def inputmode(self) -> str | None:
        return self.kind.inputmode

    @property
    def attributes(self) -> dict[str, Any]:
        if self.input is None:
            return {}
        values = self.kind.attributes(self.input, self.form)
        if self.certified:
            values = {**values, "readonly": True}
        return values

    @property
    def widget(self) -> str | None:
        return getattr(self.kind, "widget", None)

    @property
    def options(self) -> list[Option]:
        if not hasattr(self.kind, "choices"):
            return []
        data = self.input.data
        chosen = set(data) if isinstance(data, list) else {data}
        # ids by position: option keys may be any word, "hint" or "error" included
        return [
            Option(key, label, f"{self.id}-{index}", key in chosen)
            for index, (key, label) in enumerate(self.kind.choices())
        ]

    @property
    def parts(self) -> list[PartView]:
        """An address's or a location's inputs."""
        if self.input is None or not hasattr(self.kind, "parts"):
            return []
        return [PartView(self, part, self.input.form[part.name]) for part in self.kind.parts]

    # -- files ------------------------------------------------------------------------

    @property
    def attachments(self) -> list[AttachmentView]:
        """The files already sent for this field (name and size, as the app knows them)."""
        if self.type != "file" or self.input is None:
            return []
        from .fields.files import kept_ids
        from .i18n import format_size

        known = getattr(self.form, "attachment_info", None) or {}
        views = []
        for attachment_id in kept_ids(self.input.existing):
            name, size = known.get(attachment_id, (None, None))
            name = name or self.gettext("File sent")
            views.append(
                AttachmentView(
                    attachment_id,
                    name,
                    None if size is None else format_size(size, self.gettext, self.form.language),
                    f"detach:{self.name}:{attachment_id}",
                    self.gettext("Remove %(name)s", name=name),
                )
            )
        return views

    @property
    def file_input_label(self) -> str:
        """The file input's label once files are sent: to replace the file, or add more."""
        if self.field.multiple:
            return self.gettext("Add files")
        return self.gettext("Replace the file")

    @property
    def remove_text(self) -> str:
        return self.gettext("Remove")

    # -- groups -----------------------------------------------------------------------

    @property
    def item_label(self) -> str:
        return self.kind.item_label(self.form.gettext)

    @property
    def can_add(self) -> bool:
        return self.type == "group" and self.kind.can_add(self.input)

    @property
    def action_name(self) -> str:
        return ACTION

    @property
    def add_action(self) -> str:
        return f"add:{self.name}"

    @property
    def add_label(self) -> str:
        legend = self.kind.legend(len(self.input.entries), self.form.gettext)
        return self.gettext("Add: %(item)s", item=legend)


class PartView:
    """One input of an address or a location."""

    def __init__(self, parent: FieldView, part, input):
        self.parent = parent
        self.part = part
        self.input = input
        self.id = input.id
        self.name = input.name
        self.label = parent.gettext(part.label)

    @property
    def errors(self) -> list[str]:
        return [e for e in self.input.errors if isinstance(e, str)]

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def describedby(self) -> str | None:
        return self.error_id if self.errors else None

    @property
    def value(self) -> str:
        reader = getattr(self.input, "_value", None)
        return reader() if reader is not None else (self.input.data or "")

    @property
    def autocomplete(self) -> str | None:
        return self.parent.kind.part_autocomplete(self.part)

    @property
    def inputmode(self) -> str | None:
        if self.part.name == "postcode":
            country = self.parent.input.form["country"].data or "FR"
            return self.part.inputmode if country == "FR" else None
        return self.part.inputmode

    @property
    def required(self) -> bool:
        return self.parent.required and self.part.name != "country"

    @property
    def required_attribute(self) -> bool:
        return self.parent.required_attribute and self.part.name != "country"

    @property
    def options(self) -> list[Option]:
        if not self.part.options:
            return []
        chosen = self.input.data or "FR"
        return [
            Option(code, name, f"{self.id}-{index}", code == chosen)
            for index, (code, name) in enumerate(
                self.parent.kind.countries(self.parent.form.gettext)
            )
        ]


@dataclass
class ItemView:
    """One item of a group: a fieldset whose legend is "Enfant 2"."""

    group: FieldView
    index: int
    id: str
    legend: str
    fields: list[FieldView]

    @property
    def can_remove(self) -> bool:
        return self.group.kind.can_remove(self.group.input)

    @property
    def remove_action(self) -> str:
        return f"remove:{self.group.name}:{self.index}"

    @property
    def remove_label(self) -> str:
        return self.group.gettext("Remove: %(item)s", item=self.legend)
