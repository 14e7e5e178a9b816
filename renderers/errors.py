"""The exceptions of the renderers package.

::

    RendererError                 every error raised here
    ├── DuplicateFieldType        two classes registered under one type name
    └── UnknownFieldType          no class for a definition's field type (also a KeyError)
"""

from __future__ import annotations


class RendererError(Exception):
    """Base of every error this package raises."""


class DuplicateFieldType(RendererError):
    """Two field-type classes claim the same ``type`` name."""

    def __init__(self, name: str, first: type, second: type):
        self.name, self.first, self.second = name, first, second
        super().__init__(
            f"the field type {name!r} is registered twice: by {_qualified(first)} "
            f"and by {_qualified(second)}"
        )


class UnknownFieldType(RendererError, KeyError):
    """A definition names a field type that no registered class renders."""

    def __init__(self, name: str, known):
        self.name = name
        super().__init__(
            f"no field-type class renders {name!r}; registered types: {', '.join(sorted(known))}"
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
