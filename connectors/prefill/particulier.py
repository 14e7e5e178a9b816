"""``api-particulier``: what the CAF or the MSA knows of a family (the family quotient, the
number of allocataires) and the student status, through API Particulier (v2: the token
in ``X-Api-Key``).

The key is either the allocataire number and the postcode (``from: [numero, code_postal]``;
the postcode may be an address field's) or, without ``from:``, the signed-in citizen's
FranceConnect pivot identity. The token's scopes (``scopes``) say which APIs are called.
The API's terms require the citizen to be told what is fetched and why: ``purpose`` is
shown beside the prefilled answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import LookupFailed
from .http import TIMEOUT_SETTING, URL_SETTING, HttpSource, NotFound, malformed, text

#: FranceConnect's ``gender`` claim -> the API's ``sexe``.
SEXES = {"male": "M", "female": "F"}


class ApiParticulier(HttpSource):
    type = "api-particulier"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url", "token", "purpose"],
        "properties": {
            "url": URL_SETTING,
            "timeout": TIMEOUT_SETTING,
            "token": {"type": "string", "minLength": 1},
            "purpose": {"type": "string", "minLength": 1},
            "scopes": {
                "type": "array",
                "uniqueItems": True,
                "items": {"enum": ["quotient_familial", "statut_etudiant"]},
            },
        },
    }
    keys = {
        "family_quotient": "integer",
        "allocataire_count": "integer",
        "student_status": "string",
    }
    from_types = ("text", "address")
    from_count = 2
    from_identity = True
    needs_mention = True
    not_found_statuses = frozenset({404})

    @property
    def scopes(self) -> list[str]:
        return list(self.settings.get("scopes", ["quotient_familial"]))

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.settings["token"]}

    def lookup(self, key: Any, identity: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if key is not None:
            return self._by_allocataire(key)
        if not identity.get("family_name") or not identity.get("birthdate"):
            return None  # not signed in with FranceConnect: the citizen types the value
        answer: dict[str, Any] = {}
        if "quotient_familial" in self.scopes:
            answer.update(self._family_by_identity(identity))
        if "statut_etudiant" in self.scopes:
            answer.update(self._student_by_identity(identity))
        return answer or None

    def _by_allocataire(self, key: Any) -> Mapping[str, Any] | None:
        number, where = (
            (list(key) + [None, None])[:2] if isinstance(key, list | tuple) else (key, None)
        )
        postcode = where.get("postcode") if isinstance(where, dict) else where
        number, postcode = text(number).replace(" ", ""), text(postcode)
        if not number or not postcode:
            return None
        params = {"numeroAllocataire": number, "codePostal": postcode}
        try:
            body = self.get_json("api/v2/composition-familiale", params, self._headers())
        except NotFound:
            return None
        return self._family(body)

    def _family_by_identity(self, identity: Mapping[str, Any]) -> dict[str, Any]:
        year, month, day = (text(identity.get("birthdate")) + "--").split("-")[:3]
        params: dict[str, Any] = {
            "nomNaissance": text(identity.get("family_name")),
            "prenoms[]": text(identity.get("given_name")).split(),
            "anneeDateDeNaissance": year,
            "moisDateDeNaissance": month,
            "jourDateDeNaissance": day,
            "sexe": SEXES.get(text(identity.get("gender")), ""),
            "codePaysLieuDeNaissance": text(identity.get("birthcountry")),
        }
        if identity.get("birthplace"):
            params["codeInseeLieuDeNaissance"] = text(identity.get("birthplace"))
        try:
            body = self.get_json("api/v2/composition-familiale-v2", params, self._headers())
        except NotFound:
            return {}
        return dict(self._family(body) or {})

    def _student_by_identity(self, identity: Mapping[str, Any]) -> dict[str, Any]:
        params = {
            "nom": text(identity.get("family_name")),
            "prenom": text(identity.get("given_name")).split(" ")[0],
            "dateNaissance": text(identity.get("birthdate")),
        }
        try:
            body = self.get_json("api/v2/etudiants-etat-civil", params, self._headers())
        except NotFound:
            return {}
        enrolments = body.get("inscriptions") if isinstance(body, dict) else None
        if not isinstance(enrolments, list):
            raise malformed("inscriptions")
        statuses = [e.get("statut") for e in enrolments if isinstance(e, dict)]
        status = "inscrit" if "inscrit" in statuses else "admis" if "admis" in statuses else ""
        return {"student_status": status} if status else {}

    @staticmethod
    def _family(body: Any) -> Mapping[str, Any] | None:
        if not isinstance(body, dict):
            raise malformed("family")
        quotient = body.get("quotientFamilial")
        allocataires = body.get("allocataires")
        if isinstance(quotient, bool) or not isinstance(quotient, int | float):
            raise LookupFailed("the source's answer has no family quotient")
        if not isinstance(allocataires, list):
            raise malformed("allocataires")
        return {"family_quotient": int(quotient), "allocataire_count": len(allocataires)}
