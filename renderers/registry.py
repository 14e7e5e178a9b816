"""The widget registry: which class renders each ``type`` of the definition format.

The types themselves are registered once, in :data:`definitions.fieldtypes.registry`; this
one holds their widgets under the same names. The built-in widgets (one module per family
under :mod:`renderers.fields`) fill :data:`registry`; a plug-in type names its widget in its
definition class (``widget = MyWidget`` or ``"package.module:MyWidget"``), which every
registry finds there. An app may build its own :class:`Registry`, add classes and pass it to
:func:`renderers.page_form`. A type name registered twice is an error that names both
classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import import_module

from definitions import fieldtypes
from definitions.model import Field

from .errors import DuplicateFieldType, UnknownFieldType
from .fields.base import FieldType

ENTRY_POINT_GROUP = fieldtypes.ENTRY_POINT_GROUP


class Registry:
    """Field-type classes by type name."""

    def __init__(self, classes: Iterable[type[FieldType]] = ()):
        self._classes: dict[str, type[FieldType]] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[FieldType]) -> type[FieldType]:
        """Add ``cls`` under its ``type``; usable as a class decorator."""
        if not (isinstance(cls, type) and issubclass(cls, FieldType)) or not cls.type:
            raise TypeError(f"{cls!r} is not a FieldType subclass with a 'type' name")
        existing = self._classes.get(cls.type)
        if existing is not None and existing is not cls:
            raise DuplicateFieldType(cls.type, existing, cls)
        self._classes[cls.type] = cls
        return cls

    def load_entry_points(self) -> None:
        """Load the types that installed packages declare in ``guichet.field_types`` into
        the definitions registry, and check that this registry renders every type (a
        plug-in whose widget is missing or broken stops the start, not a page)."""
        fieldtypes.load_entry_points()
        for name in fieldtypes.registry:
            self[name]

    def __getitem__(self, name: str) -> type[FieldType]:
        found = self._classes.get(name)
        if found is None:
            found = plugin_widget(name)
        if found is None:
            raise UnknownFieldType(name, self._classes)
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def bind(self, field: Field, *, language: str = "fr") -> FieldType:
        """The field-type object that renders the definition ``field``."""
        return self[field.type](field, language=language, registry=self)

    def copy(self) -> Registry:
        return Registry(self._classes.values())


def plugin_widget(name: str) -> type[FieldType] | None:
    """The widget that the definition class of type ``name`` names, if any."""
    kind = fieldtypes.registry.get(name)
    widget = getattr(kind, "widget", None)
    if isinstance(widget, str):
        module, _, attribute = widget.partition(":")
        try:
            widget = getattr(import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise fieldtypes.FieldTypeError(
                f"the widget {kind.widget!r} of the field type {name!r} cannot be loaded: {error}"
            ) from error
    if widget is None:
        return None
    if not (isinstance(widget, type) and issubclass(widget, FieldType)) or widget.type != name:
        raise fieldtypes.FieldTypeError(
            f"the widget of the field type {name!r} is not a renderers FieldType named {name!r}"
        )
    return widget


def default_registry() -> Registry:
    """A new registry holding the built-in field types."""
    from .fields import BUILTIN_TYPES

    return Registry(BUILTIN_TYPES)


#: The registry :func:`renderers.page_form` uses unless told otherwise.
registry = default_registry()
