"""The registry of prefill source types (entry-point group ``guichet.prefill``)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from .base import PrefillSource

GROUP = "guichet.prefill"


class RegistryError(Exception):
    """The prefill source types cannot be set up; the message says why."""


def load_types(found: Iterable[EntryPoint] | None = None) -> dict[str, type[PrefillSource]]:
    """Prefill source types from the entry points; two types with one name fail."""
    types: dict[str, type[PrefillSource]] = {}
    origins: dict[str, str] = {}
    for entry in found if found is not None else entry_points(group=GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, PrefillSource)):
            raise RegistryError(
                f"{entry.value} (entry point {entry.name!r}) is not a PrefillSource"
            )
        if cls.type in types:
            raise RegistryError(
                f"two prefill source types are named {cls.type!r}: "
                f"{origins[cls.type]} and {entry.value}"
            )
        types[cls.type] = cls
        origins[cls.type] = entry.value
    return types


def descriptions() -> dict[str, dict]:
    """The settings schema and the keys of every installed type, by type name."""
    return {
        name: {"settings": cls.settings_schema, "keys": dict(cls.keys)}
        for name, cls in load_types().items()
    }
