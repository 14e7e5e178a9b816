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
    #: The keys a lookup gives, each with the kind of its value (``string``, ``integer``,
    #: ``boolean``, ``address``, ``location``).
    keys: ClassVar[Mapping[str, str]] = {}
    #: The field types whose answer may be the key of a lookup (the field ``from:`` names);
    #: empty when the source takes no key.
    from_types: ClassVar[tuple[str, ...]] = ()
    #: Whether the source answers without a key, from the signed-in identity's claims.
    from_identity: ClassVar[bool] = False
    #: How many fields ``from:`` names (a list when more than one): their answers, in
    #: order, make the key.
    from_count: ClassVar[int] = 1
    #: Whether the API's terms require the citizen to be told what is fetched, from whom
    #: and why (the ``purpose`` setting) before the lookup.
    needs_mention: ClassVar[bool] = False

    def __init__(self, name: str, settings: dict[str, Any]):
        self.name = name
        self.settings = settings

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """What the source knows of ``key`` (the answer of the ``from:`` field) or, without
        a key, of the signed-in ``identity`` (the claims of the pivot identity:
        ``given_name``, ``family_name``, ``birthdate``, ``birthplace``, ``birthcountry``,
        ``gender``...)."""  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release what the source holds (an HTTP client)."""

    @classmethod
    def description(cls) -> dict[str, Any]:
        """What the checker needs to know of the type: its settings, keys, keys' inputs."""
        return {
            "settings": cls.settings_schema,
            "keys": dict(cls.keys),
            "from_types": list(cls.from_types),
            "from_identity": cls.from_identity,
            "from_count": cls.from_count,
            "searches": callable(getattr(cls, "search", None)),
        }
