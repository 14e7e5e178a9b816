"""The prefill source contract.

A prefill source type is a class with a ``type`` name, a JSON Schema of its settings, the
keys it gives (key -> the kind of value), and one method, :meth:`PrefillSource.lookup`, that
answers one lookup with a mapping of those keys, ``None`` when it finds nothing, or raises
:class:`LookupFailed` when the source cannot answer (down, slow, refused, malformed). A
source never blocks filing: the caller lets the citizen type the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class LookupFailed(Exception):
    """The source could not answer; the message says why, without personal data."""


class PrefillSource:
    """Base class of prefill source types; subclasses set ``type``, ``settings_schema``
    and ``keys``."""

    type: ClassVar[str]
    #: JSON Schema (Draft 2020-12) of the settings, ``type`` excluded.
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    #: The keys a lookup gives, each with the kind of its value.
    keys: ClassVar[Mapping[str, str]] = {}

    def __init__(self, name: str, settings: dict[str, Any]):
        self.name = name
        self.settings = settings

    def lookup(self, key: str | None, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """What the source knows of ``key`` (the answer of the ``from:`` field) or, without
        a key, of the signed-in ``identity``."""  # pragma: no cover - abstract
        raise NotImplementedError
