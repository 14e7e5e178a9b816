"""The registry of prefill source types (entry-point group ``guichet.prefill``)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint

from ..registry import RegistryError, plugin_types
from .base import PrefillSource

__all__ = ["GROUP", "RegistryError", "descriptions", "load_types"]

GROUP = "guichet.prefill"


def load_types(found: Iterable[EntryPoint] | None = None) -> dict[str, type[PrefillSource]]:
    """Prefill source types from the entry points; two types with one name fail."""
    return plugin_types(GROUP, PrefillSource, "prefill source types", found)


def descriptions() -> dict[str, dict]:
    """The settings schema, the keys and their inputs of every installed type, by name."""
    return {name: cls.description() for name, cls in load_types().items()}
