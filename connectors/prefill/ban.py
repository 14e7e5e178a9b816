"""``ban``: the Base Adresse Nationale's geocoder (``GET {url}/search/?q=…``, a GeoJSON
FeatureCollection). It serves the address field's search (:meth:`BanSource.search`) and,
as a source, gives the ``address`` and the ``location`` (lat, lon) of an address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import LookupFailed
from .http import TIMEOUT_SETTING, URL_SETTING, HttpSource, NotFound, malformed, text

#: The least score of a geocoding result taken as the answer.
MIN_SCORE = 0.5
#: The longest query sent, in characters.
MAX_QUERY = 200


class BanSource(HttpSource):
    type = "ban"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {
            "url": URL_SETTING,
            "timeout": TIMEOUT_SETTING,
            "citycode": {"type": "string", "pattern": "^[0-9AB]{5}$"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20},
        },
    }
    keys = {"address": "address", "location": "location"}
    from_types = ("address", "text")

    def search(self, query: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The addresses that match ``query`` (at least three characters), best first:
        ``label``, ``street``, ``postcode``, ``city``, ``lat``, ``lon``."""
        query = " ".join(text(query).split())[:MAX_QUERY]
        if len(query) < 3:
            return []
        params: dict[str, Any] = {
            "q": query,
            "limit": limit or self.settings.get("limit", 5),
            "autocomplete": 1,
        }
        if self.settings.get("citycode"):
            params["citycode"] = self.settings["citycode"]
        try:
            body = self.get_json("search/", params)
        except NotFound:
            return []
        features = body.get("features") if isinstance(body, dict) else None
        if not isinstance(features, list):
            raise malformed("features")
        return [self._address(feature) for feature in features]

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if isinstance(key, dict):
            key = " ".join(text(key.get(part)) for part in ("street", "postcode", "city"))
        found = self.search(text(key), limit=1)
        if not found or found[0]["score"] < MIN_SCORE:
            return None
        best = found[0]
        return {
            "address": {k: best[k] for k in ("street", "postcode", "city")},
            "location": {"lat": best["lat"], "lon": best["lon"]},
        }

    @staticmethod
    def _address(feature: Any) -> dict[str, Any]:
        try:
            properties = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            lat, lon = float(lat), float(lon)
        except (KeyError, TypeError, ValueError) as error:
            raise LookupFailed("the source's answer has a feature of another shape") from error
        return {
            "label": text(properties.get("label")),
            "street": text(properties.get("name")),
            "postcode": text(properties.get("postcode")),
            "city": text(properties.get("city")),
            "lat": lat,
            "lon": lon,
            "score": float(properties.get("score") or 0),
        }
