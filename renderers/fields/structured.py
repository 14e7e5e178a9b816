"""Structured values: address, location, group.

Each is a nested WTForms form: an address's street, postcode, city and country; a
location's latitude and longitude (two decimal inputs; a map can enhance them later); a
group's items, one nested form per item, added and removed by submit buttons so that it
works without JavaScript (see :meth:`renderers.forms.DefinitionForm.apply_action`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from wtforms.fields import FieldList, StringField

from definitions.answers import expression_context

from ..countries import COUNTRIES
from ..i18n import N_, format_number
from .base import (
    FieldType,
    SubForm,
    SubformField,
    clear_errors,
    condition_holds,
    field_language,
    is_visible,
    message,
    plural,
)
from .choices import ChoiceInput
from .numbers import NumberInput
from .text import strip

_FRENCH_POSTCODE = re.compile(r"\d{5}")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class Part:
    """One input of a structured field."""

    name: str
    label: str  # msgid
    autocomplete: str | None = None
    inputmode: str | None = None
    options: bool = False  # a <select> of countries


# -- address ----------------------------------------------------------------------------


class AddressInput(SubformField):
    """Street, postcode and city are needed together; a French postcode has 5 digits."""

    def validate(self, form, extra_validators=()):
        clear_errors(self)
        if not is_visible(form, self):
            return True
        parts = self.form
        values = {name: (parts[name].data or "") for name in ("street", "postcode", "city")}
        if not any(values.values()) and not self.kind.field.required:
            return True
        missing = {
            "street": N_("Enter the number and street."),
            "postcode": N_("Enter the postcode."),
            "city": N_("Enter the town or city."),
        }
        for name, msgid in missing.items():
            if not values[name]:
                parts[name].errors.append(message(parts[name], msgid))
        country = parts["country"].data or "FR"
        if country not in COUNTRIES:
            parts["country"].errors.append(
                message(parts["country"], "Choose a country from the list.")
            )
        postcode = _SPACES.sub("", values["postcode"])
        if postcode and country == "FR" and not _FRENCH_POSTCODE.fullmatch(postcode):
            parts["postcode"].errors.append(
                message(parts["postcode"], "A French postcode has 5 digits, such as 41000.")
            )
        return not any(field.errors for field in parts)


class AddressType(FieldType):
    type = "address"
    macro = "address"
    fieldset = True
    parts = (
        Part("street", "Number and street", "street-address"),
        Part("postcode", "Postcode", "postal-code", "numeric"),
        Part("city", "Town or city", "address-level2"),
        Part("country", "Country", "country", options=True),
    )

    def build(self):
        fields = [
            (part.name, ChoiceInput() if part.options else StringField(filters=[strip]))
            for part in self.parts
        ]
        form_class = SubForm.with_fields(f"Address[{self.field.id}]", fields)
        return AddressInput(form_class, label=self.label, kind=self)

    def is_empty(self, form_field):
        data = form_field.data
        return not any(data.get(name) for name in ("street", "postcode", "city"))

    def to_answer(self, form_field):
        if self.is_empty(form_field):
            return None
        data = form_field.data
        country = data.get("country") or "FR"
        answer = {
            "street": (data.get("street") or "").strip(),
            "postcode": (data.get("postcode") or "").strip(),
            "city": (data.get("city") or "").strip(),
            "country": country,
        }
        if country == "FR":
            answer["postcode"] = _SPACES.sub("", answer["postcode"])
        return answer

    def from_answer(self, value):
        value = value if isinstance(value, dict) else {}
        return {
            "street": value.get("street"),
            "postcode": value.get("postcode"),
            "city": value.get("city"),
            "country": value.get("country") or "FR",
        }

    def initial(self, today):
        return self.from_answer(self.field.default)

    def part_autocomplete(self, part: Part) -> str | None:
        """The part's token, after the definition's section and hint words (``shipping``)."""
        tokens = (self.field.autocomplete or "").split()
        if tokens == ["off"]:
            return "off"
        return " ".join([*tokens[:-1], part.autocomplete]) if part.autocomplete else None

    def countries(self, gettext) -> list[tuple[str, str]]:
        """``(code, name)``: France first, then every country by its name in the language."""
        names = [(code, gettext(name)) for code, name in COUNTRIES.items() if code != "FR"]
        names.sort(key=lambda item: _sort_key(item[1]))
        return [("FR", gettext(COUNTRIES["FR"])), *names]

    def anchor(self, form_field):
        return form_field.form["street"].id


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# -- location ---------------------------------------------------------------------------


_LOCATION_MESSAGES = {
    "lat": {
        "invalid": N_("Enter the latitude as a decimal number, such as 47.59."),
        "missing": N_("Enter the latitude."),
        "range": N_("Enter a latitude between %(min)s and %(max)s."),
    },
    "lon": {
        "invalid": N_("Enter the longitude as a decimal number, such as 1.33."),
        "missing": N_("Enter the longitude."),
        "range": N_("Enter a longitude between %(min)s and %(max)s."),
    },
}


class LocationInput(SubformField):
    """Latitude and longitude, both or neither, inside the definition's bounds."""

    def validate(self, form, extra_validators=()):
        clear_errors(self)
        if not is_visible(form, self):
            return True
        parts = self.form
        if self.kind.is_empty(self) and not self.kind.field.required:
            return True
        language = field_language(self)
        for name, (low, high) in self.kind.limits().items():
            part = parts[name]
            msgids = _LOCATION_MESSAGES[name]
            if part.invalid:
                part.errors.append(message(part, msgids["invalid"]))
            elif part.data is None:
                part.errors.append(message(part, msgids["missing"]))
            elif not low <= part.data <= high:
                part.errors.append(
                    message(
                        part,
                        msgids["range"],
                        min=format_number(low, language),
                        max=format_number(high, language),
                    )
                )
        return not any(field.errors for field in parts)


class LocationType(FieldType):
    type = "location"
    macro = "location"
    fieldset = True
    parts = (
        Part("lat", "Latitude", "off", "decimal"),
        Part("lon", "Longitude", "off", "decimal"),
    )

    def build(self):
        fields = [(part.name, NumberInput(integer=False)) for part in self.parts]
        form_class = SubForm.with_fields(f"Location[{self.field.id}]", fields)
        return LocationInput(form_class, label=self.label, kind=self)

    def limits(self) -> dict[str, tuple[float, float]]:
        bounds = self.field.bounds
        if bounds is None:
            return {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0)}
        return {"lat": (bounds.south, bounds.north), "lon": (bounds.west, bounds.east)}

    def is_empty(self, form_field):
        parts = form_field.form
        return all(parts[name].data is None and not parts[name].raw for name in ("lat", "lon"))

    def to_answer(self, form_field):
        parts = form_field.form
        lat, lon = parts["lat"], parts["lon"]
        if lat.data is None or lon.data is None or lat.invalid or lon.invalid:
            return None
        return {"lat": float(lat.data), "lon": float(lon.data)}

    def from_answer(self, value):
        value = value if isinstance(value, dict) else {}
        return {"lat": value.get("lat"), "lon": value.get("lon")}

    def part_autocomplete(self, part: Part) -> str | None:
        return "off"

    def format_hint(self, form):
        limits = self.limits()
        language = form.language
        return form.gettext(
            "In decimal degrees: latitude between %(south)s and %(north)s, longitude between "
            "%(west)s and %(east)s.",
            south=format_number(limits["lat"][0], language),
            north=format_number(limits["lat"][1], language),
            west=format_number(limits["lon"][0], language),
            east=format_number(limits["lon"][1], language),
        )

    def anchor(self, form_field):
        return form_field.form["lat"].id


# -- group ------------------------------------------------------------------------------


class ItemForm(SubForm):
    """One item of a group; its sub-fields' conditions read their siblings too."""

    group: GroupType  # set on each subclass
    kinds: dict[str, FieldType]

    def values(self) -> dict[str, Any]:
        """The item's values as answers (unreadable ones as None), for conditions."""
        return {name: self.kinds[name].context_value(field) for name, field in self._fields.items()}

    def visible(self, field_id: str) -> bool:
        kind = self.kinds.get(field_id)
        if kind is None or kind.field.visible_if is None:
            return True
        root = self.root
        local = root.context() | expression_context(
            self.group.field.fields, self.values(), today=root.today
        )
        return condition_holds(kind.field.visible_if, local)

    def validate(self, extra_validators=None):
        valid = True
        for name, field in self._fields.items():
            if not self.visible(name):
                clear_errors(field)
            elif not field.validate(self):
                valid = False
        return valid

    def answer(self) -> dict[str, Any]:
        """The item as stored: its visible sub-fields that hold a value."""
        answer = {}
        for name, field in self._fields.items():
            if not self.visible(name):
                continue
            value = self.kinds[name].to_answer(field)
            if value is not None:
                answer[name] = value
        return answer

    def is_blank(self) -> bool:
        return all(self.kinds[name].is_empty(field) for name, field in self._fields.items())


class GroupInput(FieldList):
    """The items of a group. ``errors`` holds the group's own messages (too few items…);
    each item's fields hold theirs."""

    def __init__(self, unbound_field, label=None, kind=None, **kwargs):
        super().__init__(unbound_field, label, **kwargs)
        self.kind = kind

    def validate(self, form, extra_validators=()):
        clear_errors(self)
        if not is_visible(form, self):
            return True
        kind = self.kind
        filled = [entry for entry in self.entries if not entry.form.is_blank()]
        if not filled and not kind.field.required:
            return True
        valid = True
        for entry in self.entries:
            if not entry.validate(form):
                valid = False
        minimum = kind.field.min_items or (1 if kind.field.required else 0)
        if minimum and len(filled) < minimum and (len(self.entries) < minimum or valid):
            if kind.field.min_items:
                self.errors.append(
                    plural(
                        self, "Add at least %(num)d item.", "Add at least %(num)d items.", minimum
                    )
                )
            else:
                self.errors.append(message(self, kind.required_message))
        maximum = kind.field.max_items
        if maximum is not None and len(filled) > maximum:
            self.errors.append(
                plural(self, "Give at most %(num)d item.", "Give at most %(num)d items.", maximum)
            )
        return valid and not self.errors


class GroupType(FieldType):
    type = "group"
    macro = "group"
    html_required = False
    fieldset = True
    required_message = N_("Add at least one item.")

    def sub_kinds(self) -> dict[str, FieldType]:
        """The field types of the sub-fields, by id (``info`` ones included)."""
        kinds = self.__dict__.get("_sub_kinds")
        if kinds is None:
            registry = self.registry
            if registry is None:
                from ..registry import registry
            kinds = {
                sub.id: registry.bind(sub, language=self.language) for sub in self.field.fields
            }
            self._sub_kinds = kinds
        return kinds

    def build(self):
        kinds = self.sub_kinds()
        stored = {name: kind for name, kind in kinds.items() if kind.stores_value}
        fields = [(name, kind.build()) for name, kind in stored.items()]
        item_class = ItemForm.with_fields(
            f"Item[{self.field.id}]", fields, group=self, kinds=stored
        )
        return GroupInput(
            SubformField(item_class, kind=self),
            label=self.label,
            kind=self,
            min_entries=self.shown_at_least,
            max_entries=self.field.max_items,
        )

    @property
    def shown_at_least(self) -> int:
        """How many items are shown, even blank (blank items of an optional group are
        ignored)."""
        return max(self.field.min_items or 0, 1)

    @property
    def removable_above(self) -> int:
        """Items can be removed while there are more than this many."""
        return max(self.field.min_items or 0, 1 if self.field.required else 0)

    def can_add(self, form_field) -> bool:
        maximum = self.field.max_items
        return maximum is None or len(form_field.entries) < maximum

    def can_remove(self, form_field) -> bool:
        return len(form_field.entries) > self.removable_above

    def item_initial(self, today) -> dict[str, Any]:
        return {
            name: kind.initial(today)
            for name, kind in self.sub_kinds().items()
            if kind.stores_value
        }

    def add_item(self, form_field, today) -> bool:
        if not self.can_add(form_field):
            return False
        form_field.append_entry(self.item_initial(today))
        return True

    def remove_item(self, form_field, index: int) -> bool:
        if not self.can_remove(form_field) or not 0 <= index < len(form_field.entries):
            return False
        form_field.pop_entry(index)
        return True

    def item_label(self, gettext) -> str:
        return self.text(self.field.item_label) or gettext("Item")

    def legend(self, index: int, gettext) -> str:
        """``Enfant 2`` for the item at ``index`` (0-based)."""
        return gettext("%(item)s %(num)d") % {"item": self.item_label(gettext), "num": index + 1}

    def is_empty(self, form_field):
        return all(entry.form.is_blank() for entry in form_field.entries)

    def context_value(self, form_field):
        # every sub-field, hidden or not: the group's own conditions are not needed here
        items = [entry.form.values() for entry in form_field.entries if not entry.form.is_blank()]
        return items or None

    def posted_data(self, value):
        kinds = self.sub_kinds()
        return [
            {name: data for name, data in item.items() if kinds[name].keeps_answer_on_post}
            for item in self.from_answer(value)
        ]

    def to_answer(self, form_field):
        items = [entry.form.answer() for entry in form_field.entries if not entry.form.is_blank()]
        return items or None

    def from_answer(self, value):
        if not isinstance(value, list):
            return []
        kinds = self.sub_kinds()
        return [
            {
                name: kind.from_answer(item.get(name))
                for name, kind in kinds.items()
                if kind.stores_value and isinstance(item, dict) and name in item
            }
            for item in value
        ]

    def initial(self, today):
        return [self.item_initial(today) for _ in range(self.shown_at_least)]

    def anchor(self, form_field):
        return form_field.id
