"""What every field type shares: the :class:`FieldType` base class, the forms that hold
fields (:class:`SubForm`), and the validators that more than one family uses.

A field type is bound to one definition field (``kind = FieldType(field)``) and knows how
to build its WTForms field, which validators mirror the definition, how to read the stored
answer from the form field (``to_answer``) and back (``from_answer``), and how the
template renders it (macro name, autocomplete token, inputmode).

Every message is an English msgid translated through ``field.gettext`` at validation time,
so the translations object the app gives the form decides the language.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from jinja2 import TemplateError
from wtforms import Form
from wtforms.fields import Field as WTField
from wtforms.fields import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm
from wtforms.meta import DefaultMeta
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from definitions import fieldtypes
from definitions.model import Field, Text

from ..i18n import ENGLISH, N_, format_number, language_of

TEMPLATE = "renderers/fields.html"


# -- forms ------------------------------------------------------------------------------


class GuichetMeta(DefaultMeta):
    """WTForms meta: ``translations`` comes from the app (``meta={"translations": t}``);
    nested forms (an address, a group's item) use their parent's."""

    translations = None

    def get_translations(self, form):
        if self.translations is not None:
            return self.translations
        parent = getattr(self, "_parent_form", None)
        if parent is not None:
            return parent.meta.get_translations(parent)
        return ENGLISH


class SubForm(Form):
    """A WTForms form whose fields are listed (``field_list``), not class attributes.

    Fields are read with ``form[field_id]``: field ids come from the definitions and may be
    any snake_case word, including ``data`` or ``errors``, which must not shadow the form's
    own attributes.
    """

    Meta = GuichetMeta

    #: ``(field id, unbound field)`` pairs, in order (not ``_unbound_fields``, which
    #: WTForms rebuilds from class attributes for every subclass).
    field_list: tuple[tuple[str, UnboundField], ...] = ()

    def __init__(self, formdata=None, obj=None, prefix="", data=None, meta=None, **kwargs):
        meta_obj = self._wtforms_meta()
        if meta:
            meta_obj.update_values(meta)
        BaseForm.__init__(self, self.field_list, meta=meta_obj, prefix=prefix)
        self.process(formdata, obj, data=data, **kwargs)

    @classmethod
    def with_fields(cls, name: str, fields: list[tuple[str, UnboundField]], **attributes):
        """A subclass holding ``fields`` (``(id, unbound field)`` pairs), in that order."""
        return type(name, (cls,), {**attributes, "field_list": tuple(fields)})

    @property
    def root(self) -> SubForm:
        """The outermost form (the page or transition form)."""
        form = self
        while getattr(form, "_parent_form", None) is not None:
            form = form._parent_form
        return form

    @property
    def translations(self):
        return self.meta.get_translations(self)

    @property
    def language(self) -> str:
        return language_of(self.translations)

    def gettext(self, msgid: str, **values: Any) -> str:
        text = self.translations.gettext(msgid)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        values.setdefault("num", n)
        return self.translations.ngettext(singular, plural, n) % values


class SubformField(FormField):
    """A nested form (an address, a location, a group's item) as one field."""

    def __init__(self, form_class, label=None, kind=None, **kwargs):
        super().__init__(form_class, label, **kwargs)
        self.kind = kind

    def process(self, formdata, data=unset_value, extra_filters=None):
        # as FormField does, but the values go in as ``data=``, not as keyword arguments:
        # a sub-field may be called ``prefix`` or ``meta``
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
            self._obj = data
        self.object_data = data
        self.form = self.form_class(
            formdata=formdata,
            prefix=self.name + self.separator,
            data=data if isinstance(data, dict) else None,
            meta={"_parent_form": self._form},
        )


def condition_holds(expression, context) -> bool:
    """Whether a ``visible_if`` holds; one that cannot be evaluated (``age()`` of an
    unanswered date, ``len(None)``…) does not, and its field is treated as hidden."""
    try:
        return expression.holds(context)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError):
        return False


def clear_errors(field: WTField) -> None:
    """Forget the errors of a field and of what it nests (a hidden field has none)."""
    if isinstance(field, FormField):
        for inner in field.form:
            clear_errors(inner)
    elif isinstance(field, FieldList):
        field.errors = []
        for entry in field.entries:
            clear_errors(entry)
    else:
        field.errors = []


# -- messages ---------------------------------------------------------------------------


def message(field: WTField, msgid: str, **values: Any) -> str:
    """``msgid`` translated by the field's translations, then filled with ``values``."""
    text = field.gettext(msgid)
    return text % values if values else text


def plural(field: WTField, singular: str, plural_: str, n: int, **values: Any) -> str:
    values.setdefault("num", n)
    return field.ngettext(singular, plural_, n) % values


def field_language(field: WTField) -> str:
    return language_of(field._translations)


# -- validators -------------------------------------------------------------------------


def is_visible(form, field: WTField) -> bool:
    """Whether ``field`` is shown, as the form that holds it judges (page, item…)."""
    visible = getattr(form, "visible", None)
    return visible is None or visible(field.short_name)


class Required:
    """Required-ness that respects ``visible_if``: a hidden field is neither required nor
    checked; an empty optional field is not checked further. The server is the judge: the
    form's ``visible(field_id)`` evaluates the condition on the submitted values."""

    def __init__(self, kind: FieldType):
        self.kind = kind

    def __call__(self, form, field):
        if not is_visible(form, field):
            field.errors[:] = []
            raise StopValidation()
        if self.kind.is_empty(field):
            field.errors[:] = []
            if self.kind.field.required:
                raise StopValidation(message(field, self.kind.required_message))
            raise StopValidation()


class Parsed:
    """Refuses what the input could not read (``field.invalid``: a word in a number box)."""

    def __init__(self, msgid: str, **values: Any):
        self.msgid, self.values = msgid, values

    def __call__(self, form, field):
        if getattr(field, "invalid", False):
            raise StopValidation(message(field, self.msgid, **self.values))


class Check:
    """Refuses a value for which ``predicate`` is false, with the message ``msgid``."""

    def __init__(self, predicate, msgid: str, **values: Any):
        self.predicate, self.msgid, self.values = predicate, msgid, values

    def __call__(self, form, field):
        if not self.predicate(field.data):
            raise StopValidation(message(field, self.msgid, **self.values))


class Length:
    def __init__(self, minimum: int | None, maximum: int | None):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        size = len(field.data or "")
        if self.minimum is not None and size < self.minimum:
            raise StopValidation(
                plural(
                    field,
                    "Enter at least %(num)d character (you entered %(size)d).",
                    "Enter at least %(num)d characters (you entered %(size)d).",
                    self.minimum,
                    size=size,
                )
            )
        if self.maximum is not None and size > self.maximum:
            raise StopValidation(
                plural(
                    field,
                    "Enter at most %(num)d character (you entered %(size)d).",
                    "Enter at most %(num)d characters (you entered %(size)d).",
                    self.maximum,
                    size=size,
                )
            )


class Pattern:
    """The whole answer must match ``pattern``; the definition's ``pattern_message`` (already
    in the citizen's language) says what is expected, else a generic sentence."""

    def __init__(self, pattern: str, pattern_message: Text | None, language: str):
        self.regex = re.compile(pattern)
        self.pattern_message = pattern_message.get(language) if pattern_message else None

    def __call__(self, form, field):
        if field.data and not self.regex.fullmatch(field.data):
            raise StopValidation(
                self.pattern_message or message(field, "The format of this answer is not valid.")
            )


class Range:
    """``minimum <= value <= maximum`` for numbers, with the bounds in the message."""

    def __init__(self, minimum, maximum):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        low, high = self.minimum, self.maximum
        if (low is None or value >= low) and (high is None or value <= high):
            return
        language = field_language(field)
        values = {
            "min": format_number(low, language) if low is not None else "",
            "max": format_number(high, language) if high is not None else "",
        }
        if low is not None and high is not None:
            raise StopValidation(
                message(field, "Enter a number between %(min)s and %(max)s.", **values)
            )
        if low is not None:
            raise StopValidation(
                message(field, "Enter a number greater than or equal to %(min)s.", **values)
            )
        raise StopValidation(
            message(field, "Enter a number less than or equal to %(max)s.", **values)
        )


# -- field types ------------------------------------------------------------------------


class FieldType:
    """How one definition field becomes a WTForms field, an answer and HTML.

    Subclasses set ``type`` (the definition format's name) and ``macro`` (the Jinja macro of
    ``template`` that renders it), and override what differs.
    """

    #: The definition format's type name.
    type: ClassVar[str] = ""
    #: The macro of ``template`` that renders this type; it receives a FieldView.
    macro: ClassVar[str] = "input"
    template: ClassVar[str] = TEMPLATE
    #: The ``type`` attribute of the ``<input>`` for one-input types.
    input_type: ClassVar[str] = "text"
    default_autocomplete: ClassVar[str | None] = None
    default_inputmode: ClassVar[str | None] = None
    #: Rendered as a ``<fieldset>`` with a ``<legend>`` (radios, checkboxes, address…).
    fieldset: ClassVar[bool] = False
    #: Whether conditions.js can read this field's value from the page (simple values).
    client_readable: ClassVar[bool] = False
    #: Whether the stored answer stays in the form when the page is posted again without
    #: it (files: the browser never sends back an uploaded file).
    keeps_answer_on_post: ClassVar[bool] = False
    #: Whether a WTForms field holds the value (``info`` has none).
    stores_value: ClassVar[bool] = True
    #: Whether an unconditionally required field carries the HTML ``required`` attribute
    #: (not for a set of checkboxes, a group or a text).
    html_required: ClassVar[bool] = True
    #: The msgid shown when a required field is left empty.
    required_message: ClassVar[str] = N_("Fill in this field.")
    #: The WTForms field class; subclasses may override :meth:`build` instead.
    input_class: ClassVar[type[WTField] | None] = None

    def __init__(self, field: Field, *, language: str = "fr", registry=None):
        self.field = field
        self.language = language
        self.registry = registry

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.field.id!r}>"

    # -- texts ------------------------------------------------------------------------

    def text(self, value: Text | None) -> str | None:
        return value.get(self.language) if value is not None else None

    @property
    def label(self) -> str:
        return self.text(self.field.label) or ""

    @property
    def hint(self) -> str | None:
        return self.text(self.field.hint)

    @property
    def unit(self) -> str | None:
        return self.text(self.field.unit)

    def format_hint(self, form) -> str | None:
        """What the expected format is (RGAA 11.10), translated; None when obvious."""
        return None

    def notes(self, form_field: WTField, form) -> list[str]:
        """Further hints that depend on the value (a file already sent…), translated."""
        return []

    # -- the WTForms field ------------------------------------------------------------

    def build(self) -> UnboundField | None:
        """The unbound WTForms field, with validators mirroring the definition."""
        return self.input_class(
            label=self.label, validators=[Required(self), *self.checks()], **self.input_options()
        )

    def input_options(self) -> dict[str, Any]:
        return {}

    def checks(self) -> list:
        """Validators run on a visible, non-empty value."""
        return []

    # -- values -----------------------------------------------------------------------

    def is_empty(self, form_field: WTField) -> bool:
        data = form_field.data
        if getattr(form_field, "raw", None):  # something typed that did not parse
            return False
        return data is None or data == "" or data == [] or data == {}

    def to_answer(self, form_field: WTField) -> Any:
        """The stored value (normalised as definitions.fieldtypes.normalise does), or None
        when the field is empty or its value does not parse."""
        if self.is_empty(form_field) or getattr(form_field, "invalid", False):
            return None
        return fieldtypes.normalise(self.field, form_field.data)

    def from_answer(self, value: Any) -> Any:
        """The form data that shows the stored ``value`` again."""
        return value

    def posted_data(self, value: Any) -> Any:
        """The form data kept from the stored ``value`` when the page is posted: nothing,
        but for what the browser does not send back (files)."""
        return self.from_answer(value) if self.keeps_answer_on_post else None

    def context_value(self, form_field: WTField) -> Any:
        """The value conditions read (as :meth:`to_answer`, hidden parts included)."""
        return self.to_answer(form_field)

    def initial(self, today: dt.date) -> Any:
        """The form data of an unanswered field: its ``default``, if any."""
        if self.field.default is None:
            return None
        return self.from_answer(self.field.default)

    # -- HTML -------------------------------------------------------------------------

    @property
    def autocomplete(self) -> str | None:
        """The HTML ``autocomplete`` token: the definition's, else the type's default."""
        return self.field.autocomplete or self.default_autocomplete

    @property
    def inputmode(self) -> str | None:
        return self.default_inputmode

    def attributes(self, form_field: WTField, form) -> dict[str, Any]:
        """Extra attributes of the input (``min``, ``max``, ``accept``…)."""
        return {}

    def anchor(self, form_field: WTField) -> str:
        """The id an error summary links to."""
        return form_field.id
