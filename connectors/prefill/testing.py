"""A prefill source for tests: it answers from its ``answers`` setting and records lookups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import LookupFailed, PrefillSource


class StaticPrefillSource(PrefillSource):
    type = "static"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "answers": {"type": "object", "additionalProperties": {"type": "object"}},
            "addresses": {"type": "array", "items": {"type": "object"}},
            "fail": {"type": "boolean"},
        },
    }
    keys = {
        "name": "string",
        "address": "address",
        "family_quotient": "integer",
        "active": "boolean",
    }
    from_types = ("siret", "text")
    from_identity = True

    def __init__(self, name: str, settings: dict[str, Any]):
        super().__init__(name, settings)
        self.lookups: list[str | None] = []

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self.lookups.append(key)
        if self.settings.get("fail"):
            raise LookupFailed("the test source is set to fail")
        if key is None:
            key = identity.get("family_name") or ""
        return self.settings.get("answers", {}).get(str(key))

    def search(self, query: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The ``addresses`` setting's entries whose label holds ``query`` (any case)."""
        self.lookups.append(query)
        if self.settings.get("fail"):
            raise LookupFailed("the test source is set to fail")
        words = query.lower().split()
        found = [
            item
            for item in self.settings.get("addresses", [])
            if all(word in str(item.get("label", "")).lower() for word in words)
        ]
        return found[: limit or 5]
