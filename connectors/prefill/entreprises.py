"""Organisations by SIRET: ``recherche-entreprises`` (the public search API of the Sirene
register, no token) and ``api-entreprise`` (API Entreprise v3, with a token).

Both give ``name``, ``address`` (street, postcode, city), ``legal_form`` (the INSEE code of
the legal category, such as 9220 for a declared association), ``activity_code`` (the NAF
code of the establishment, such as 94.99Z) and ``active`` (whether the establishment is
open).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stdnum.fr import siret as stdnum_siret

from .base import LookupFailed
from .http import TIMEOUT_SETTING, URL_SETTING, HttpSource, NotFound, malformed, text

KEYS = {
    "name": "string",
    "address": "address",
    "legal_form": "string",
    "activity_code": "string",
    "active": "boolean",
}


def _siret(key: Any) -> str | None:
    value = stdnum_siret.compact(text(key)) if key else ""
    return value if stdnum_siret.is_valid(value) else None


def _street(*parts: Any) -> str:
    return " ".join(p for p in (text(part) for part in parts) if p)


class RechercheEntreprises(HttpSource):
    """``GET {url}/search?q=SIRET``: the result whose establishment has that SIRET."""

    type = "recherche-entreprises"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {"url": URL_SETTING, "timeout": TIMEOUT_SETTING},
    }
    keys = KEYS
    from_types = ("siret",)

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        siret = _siret(key)
        if siret is None:
            return None
        try:
            body = self.get_json("search", {"q": siret, "page": 1, "per_page": 1})
        except NotFound:
            return None
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise malformed("results")
        for result in results:
            if not isinstance(result, dict):
                raise malformed("result")
            places = [result.get("siege") or {}, *(result.get("matching_etablissements") or [])]
            for place in places:
                if isinstance(place, dict) and place.get("siret") == siret:
                    return self._answer(result, place)
        return None

    @staticmethod
    def _answer(result: dict, place: dict) -> dict[str, Any]:
        return {
            "name": text(result.get("nom_raison_sociale") or result.get("nom_complet")),
            "address": {
                "street": _street(
                    place.get("numero_voie"),
                    place.get("indice_repetition"),
                    place.get("type_voie"),
                    place.get("libelle_voie"),
                )
                or text(place.get("adresse")),
                "postcode": text(place.get("code_postal")),
                "city": text(place.get("libelle_commune")),
            },
            "legal_form": text(result.get("nature_juridique")),
            "activity_code": text(
                place.get("activite_principale") or result.get("activite_principale")
            ),
            "active": place.get("etat_administratif") == "A",
        }


class ApiEntreprise(HttpSource):
    """``GET {url}/v3/insee/sirene/etablissements/{siret}`` with the token as a bearer and
    the ``context``, ``recipient`` (the authority's SIRET) and ``object`` parameters that
    API Entreprise requires on every call."""

    type = "api-entreprise"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url", "token", "recipient"],
        "properties": {
            "url": URL_SETTING,
            "timeout": TIMEOUT_SETTING,
            "token": {"type": "string", "minLength": 1},
            "recipient": {"type": "string", "pattern": "^[0-9]{14}$"},
            "context": {"type": "string", "minLength": 1},
            "object": {"type": "string", "minLength": 1},
        },
    }
    keys = KEYS
    from_types = ("siret",)
    not_found_statuses = frozenset({404, 422})

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        siret = _siret(key)
        if siret is None:
            return None
        params = {
            "context": self.settings.get("context", "Téléservice"),
            "recipient": self.settings["recipient"],
            "object": self.settings.get("object", "Pré-remplissage d'une demande"),
        }
        headers = {"Authorization": f"Bearer {self.settings['token']}"}
        try:
            body = self.get_json(f"v3/insee/sirene/etablissements/{siret}", params, headers)
        except NotFound:
            return None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise malformed("data")
        unit = data.get("unite_legale") or {}
        address = data.get("adresse") or {}
        if not isinstance(unit, dict) or not isinstance(address, dict):
            raise LookupFailed("the source's answer is not of the documented shape")
        legal = unit.get("personne_morale_attributs") or {}
        person = unit.get("personne_physique_attributs") or {}
        name = text(legal.get("raison_sociale")) or _street(
            person.get("prenom_usuel"), person.get("nom_usage") or person.get("nom_naissance")
        )
        return {
            "name": name,
            "address": {
                "street": _street(
                    address.get("numero_voie"),
                    address.get("indice_repetition_voie"),
                    address.get("type_voie"),
                    address.get("libelle_voie"),
                ),
                "postcode": text(address.get("code_postal")),
                "city": text(address.get("libelle_commune")),
            },
            "legal_form": text((unit.get("forme_juridique") or {}).get("code")),
            "activity_code": text((data.get("activite_principale") or {}).get("code")),
            "active": data.get("etat_administratif") == "A",
        }
