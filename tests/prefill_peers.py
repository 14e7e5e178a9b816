"""Local HTTP servers that speak the public APIs the built-in prefill sources call, with
their documented request and response shapes and their failure modes.

``Peer.mode`` makes the next answers fail: ``"401"``, ``"404"``, ``"429"``, ``"500"``,
``"slow"`` (answers after ``delay`` seconds), ``"malformed"`` (a body that is not JSON) or
``"shape"`` (JSON of another shape). Every request is recorded (path, query, headers).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

#: An association known to the fake Sirene register.
SIRET = "44306184100047"
#: A SIRET that passes the checksum but that nobody has.
UNKNOWN_SIRET = "12345678200010"
TOKEN = "test-token"
ALLOCATAIRE = "0000354"
POSTCODE = "41000"

ASSOCIATION = {
    "siren": SIRET[:9],
    "nom_complet": "LES AMIS DU VIEUX VALBOIS (AVV)",
    "nom_raison_sociale": "LES AMIS DU VIEUX VALBOIS",
    "nature_juridique": "9220",
    "activite_principale": "94.99Z",
    "etat_administratif": "A",
    "siege": {
        "siret": SIRET,
        "adresse": "12 RUE DES LILAS 41000 VALBOIS-SUR-LOIRE",
        "numero_voie": "12",
        "indice_repetition": None,
        "type_voie": "RUE",
        "libelle_voie": "DES LILAS",
        "code_postal": "41000",
        "libelle_commune": "VALBOIS-SUR-LOIRE",
        "activite_principale": "94.99Z",
        "etat_administratif": "A",
    },
    "matching_etablissements": [],
}

ETABLISSEMENT = {
    "data": {
        "siret": SIRET,
        "siege_social": True,
        "etat_administratif": "A",
        "activite_principale": {"code": "94.99Z", "libelle": "Autres organisations"},
        "unite_legale": {
            "siren": SIRET[:9],
            "forme_juridique": {"code": "9220", "libelle": "Association déclarée"},
            "personne_morale_attributs": {"raison_sociale": "LES AMIS DU VIEUX VALBOIS"},
            "personne_physique_attributs": {},
        },
        "adresse": {
            "numero_voie": "12",
            "indice_repetition_voie": None,
            "type_voie": "RUE",
            "libelle_voie": "DES LILAS",
            "code_postal": "41000",
            "libelle_commune": "VALBOIS-SUR-LOIRE",
        },
    },
    "links": {},
    "meta": {},
}

FAMILY = {
    "quotientFamilial": 754,
    "mois": 11,
    "annee": 2026,
    "allocataires": [
        {"nomPrenom": "MARTIN CLAIRE", "dateDeNaissance": "12031985", "sexe": "F"},
        {"nomPrenom": "MARTIN PAUL", "dateDeNaissance": "02021983", "sexe": "M"},
    ],
    "enfants": [{"nomPrenom": "MARTIN LEA", "dateDeNaissance": "01052017", "sexe": "F"}],
    "adresse": {"identite": "Madame MARTIN CLAIRE", "codePostalVille": "41000 VALBOIS"},
}

STUDENT = {
    "ine": "090601811AB",
    "nom": "MARTIN",
    "prenom": "CLAIRE",
    "dateNaissance": "1985-03-12",
    "inscriptions": [
        {
            "dateDebutInscription": "2026-09-01",
            "dateFinInscription": "2027-08-31",
            "statut": "inscrit",
            "regime": "formation initiale",
            "etablissement": {"uai": "0751722P", "nom": "Université de Valbois"},
        }
    ],
}


def ban_feature(label, name, postcode, city, lon, lat, score=0.9):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "label": label,
            "score": score,
            "housenumber": name.split(" ")[0],
            "id": "41269_0123_00012",
            "name": name,
            "postcode": postcode,
            "citycode": "41269",
            "x": 572000.0,
            "y": 6720000.0,
            "city": city,
            "context": "41, Loir-et-Cher, Centre-Val de Loire",
            "type": "housenumber",
            "importance": 0.6,
            "street": " ".join(name.split(" ")[1:]),
        },
    }


ADDRESSES = [
    ban_feature(
        "12 Rue des Lilas 41000 Valbois-sur-Loire",
        "12 Rue des Lilas",
        "41000",
        "Valbois-sur-Loire",
        1.3345,
        47.5861,
    ),
    ban_feature(
        "12 Rue des Lys 41000 Valbois-sur-Loire",
        "12 Rue des Lys",
        "41000",
        "Valbois-sur-Loire",
        1.3301,
        47.5902,
        0.7,
    ),
]


class Peer:
    """One local server; ``url`` is its base URL."""

    def __init__(self):
        self.mode: str | None = None
        self.delay = 1.0
        self.requests: list[dict] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                peer.requests.append(
                    {"path": parts.path, "query": query, "headers": dict(self.headers)}
                )
                status, body = peer.answer(parts.path, query, self.headers)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "30")
                self.send_header("Content-Type", "application/json")
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path, query, headers):
        mode = self.mode
        if mode == "slow":
            time.sleep(self.delay)
        if mode in ("401", "404", "429", "500"):
            return int(mode), {"errors": [{"code": "00000", "title": "Erreur", "detail": mode}]}
        if mode == "malformed":
            return 200, b"<html>Maintenance</html>"
        if mode == "shape":
            return 200, {"unexpected": True}
        return self.route(path, query, headers)

    def route(self, path, query, headers):
        one = {k: v[0] for k, v in query.items()}
        if path == "/search":  # recherche-entreprises
            found = [ASSOCIATION] if one.get("q") == SIRET else []
            return 200, {
                "results": found,
                "total_results": len(found),
                "page": 1,
                "per_page": int(one.get("per_page", 10)),
                "total_pages": 1,
            }
        if path.startswith("/v3/insee/sirene/etablissements/"):  # API Entreprise
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"errors": [{"code": "00101", "title": "Interdit"}]}
            if not all(one.get(k) for k in ("context", "recipient", "object")):
                return 422, {"errors": [{"code": "00301", "title": "Paramètre manquant"}]}
            if path.rsplit("/", 1)[-1] != SIRET:
                return 404, {"errors": [{"code": "01003", "title": "Entité non trouvée"}]}
            return 200, ETABLISSEMENT
        if path.startswith("/api/v2/"):  # API Particulier
            if headers.get("X-Api-Key") != TOKEN:
                return 401, {"error": "access_denied", "reason": "Invalid token"}
            if path == "/api/v2/composition-familiale":
                if (
                    one.get("numeroAllocataire") == ALLOCATAIRE
                    and one.get("codePostal") == POSTCODE
                ):
                    return 200, FAMILY
                return 404, {"error": "not_found", "reason": "Dossier allocataire absent MSA"}
            if path == "/api/v2/composition-familiale-v2":
                if one.get("nomNaissance") == "MARTIN" and query.get("prenoms[]") == ["CLAIRE"]:
                    return 200, {"regime": "CNAF", **FAMILY}
                return 404, {"error": "not_found", "reason": "Allocataire non référencé"}
            if path == "/api/v2/etudiants-etat-civil":
                if one.get("nom") == "MARTIN" and one.get("dateNaissance") == "1985-03-12":
                    return 200, STUDENT
                return 404, {"error": "not_found", "reason": "Aucun étudiant"}
        if path == "/search/":  # Base Adresse Nationale
            words = one.get("q", "").lower()
            found = [
                f
                for f in ADDRESSES
                if all(w in f["properties"]["label"].lower() for w in words.split()[:2])
            ]
            limit = int(one.get("limit", 5))
            return 200, {
                "type": "FeatureCollection",
                "version": "draft",
                "features": found[:limit],
                "attribution": "BAN",
                "licence": "ETALAB-2.0",
                "query": one.get("q", ""),
                "limit": limit,
            }
        return 404, {"error": "no such route"}
