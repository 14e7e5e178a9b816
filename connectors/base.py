"""The connector contract.

A connector type is a class with a ``type`` name, a JSON Schema of its settings, and one
method, :meth:`Connector.deliver`, that delivers one delivery or raises
:class:`~engine.outbox.DeliveryFailed` (saying whether trying again may help). Connectors
never touch cases: they get a :class:`~engine.outbox.Delivery` and return or raise.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.outbox import Delivery, DeliveryFailed
from engine.storage import as_storage

__all__ = ["Connector", "Delivery", "DeliveryFailed"]


class Connector:
    """Base class of connector types; subclasses set ``type`` and ``settings_schema``."""

    type: ClassVar[str]
    #: JSON Schema (Draft 2020-12) of the settings, ``type`` excluded.
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def __init__(self, name: str, settings: dict[str, Any], *, storage=None):
        self.name = name
        self.settings = settings
        #: where attachments' contents are (a Storage; a folder is read as a LocalStorage),
        #: for types that carry files
        self.storage = as_storage(storage)

    def deliver(self, delivery: Delivery) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; called when the worker stops."""
