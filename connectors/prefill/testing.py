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
            "fail": {"type": "boolean"},
        },
    }
    keys = {"name": "string", "address": "address", "family_quotient": "integer"}

    def __init__(self, name: str, settings: dict[str, Any]):
        super().__init__(name, settings)
        self.lookups: list[str | None] = []

    def lookup(self, key: str | None, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self.lookups.append(key)
        if self.settings.get("fail"):
            raise LookupFailed("the test source is set to fail")
        return self.settings.get("answers", {}).get(key or "")
