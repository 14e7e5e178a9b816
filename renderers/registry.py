"""The field-type registry: which class renders each ``type`` of the definition format.

The built-in classes (one module per family under :mod:`renderers.fields`) fill
:data:`registry`; an app may build its own :class:`Registry`, add classes (from entry points
in ``create_app``, say) and pass it to :func:`renderers.page_form`. A type name registered
twice is an error that names both classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from definitions.model import Field

from .errors import DuplicateFieldType, UnknownFieldType
from .fields.base import FieldType

ENTRY_POINT_GROUP = "guichet.field_types"


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

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register the classes that installed packages declare in ``group``."""
        for point in entry_points(group=group):
            self.register(point.load())

    def __getitem__(self, name: str) -> type[FieldType]:
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownFieldType(name, self._classes) from None

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


def default_registry() -> Registry:
    """A new registry holding the built-in field types."""
    from .fields import BUILTIN_TYPES

    return Registry(BUILTIN_TYPES)


#: The registry :func:`renderers.page_form` uses unless told otherwise.
registry = default_registry()
