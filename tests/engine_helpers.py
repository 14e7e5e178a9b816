"""Shared helpers of the engine tests: answers for the examples, a PostgreSQL schema of one's
own, a recording connector."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from engine.outbox import Delivery, DeliveryFailed

# -- answers the examples accept ---------------------------------------------------------------

BIRTH_ANSWERS = {
    "nom": "Martin",
    "prenoms": "Léa Camille",
    "courriel": "lea.martin@example.org",
    "lien": "titulaire",
    "date_naissance": "1990-04-02",
    "type_acte": "copie_integrale",
    "usage": "passeport_cni",
    "nombre_exemplaires": 1,
    "adresse_envoi": {
        "street": "8 rue des Écoles",
        "postcode": "41000",
        "city": "Valbois-sur-Loire",
        "country": "FR",
    },
    "piece_identite": "att-1",
}


def terrace_answers(today: dt.date) -> dict:
    """occupation-domaine-public: a seasonal open terrace starting in two months."""
    return {
        "raison_sociale": "SARL Le Bistrot du Quai",
        "enseigne": "Le Bistrot du Quai",
        "siret": "44123987800024",
        "activite": "restaurant",
        "adresse_etablissement": {
            "street": "5 quai Saint-Jean",
            "postcode": "41000",
            "city": "Valbois-sur-Loire",
            "country": "FR",
        },
        "nom_exploitant": "Moreau",
        "prenom_exploitant": "Julien",
        "courriel": "contact@bistrot-du-quai.example.org",
        "telephone": "02 54 78 90 12",
        "type_occupation": "terrasse_ouverte",
        "surface": 24.5,
        "nombre_tables": 8,
        "periode": "saisonniere",
        "date_debut": (today + dt.timedelta(days=60)).isoformat(),
        "date_fin": (today + dt.timedelta(days=240)).isoformat(),
        "plan": "att-plan",
        "kbis": "att-kbis",
        "attestation_assurance": "att-rc",
    }


def bike_answers(today: dt.date) -> dict:
    """aide-velo-electrique (the shared workflow aide-financiere)."""
    return {
        "nom": "Girard",
        "prenom": "Thomas",
        "date_naissance": "1985-09-14",
        "courriel": "thomas.girard@example.org",
        "adresse": {
            "street": "12 rue Denis-Papin",
            "postcode": "41000",
            "city": "Valbois-sur-Loire",
            "country": "FR",
        },
        "type_velo": "vae",
        "date_achat": (today - dt.timedelta(days=20)).isoformat(),
        "prix_achat": 1899.90,
        "montant_demande": 200,
        "facture": "att-facture",
        "justificatif_domicile": "att-domicile",
        "iban": "FR76 1558 9410 0106 1234 5678 979",
        "engagement_non_revente": True,
    }


# -- PostgreSQL in a schema of one's own -------------------------------------------------------


def schema_url_and_options(schema: str) -> tuple[str, dict]:
    """A fresh, empty PostgreSQL schema ``schema``; skips the test when PostgreSQL is absent.

    A schema of its own keeps a test (and the processes it starts) away from the tables that
    the ``db_engine`` fixture truncates.
    """
    from .conftest import require_postgres

    url = require_postgres()
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return url, {"connect_args": {"options": f"-csearch_path={schema}"}}


def drop_schema(url: str, schema: str) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


# -- a connector that records what it is given -------------------------------------------------


@dataclass
class RecordingConnector:
    """A ``deliver`` callable: records every delivery; ``failure`` (an exception, or a callable
    returning one or None) makes it fail."""

    failure: object = None
    calls: list[Delivery] = field(default_factory=list)

    def __call__(self, delivery: Delivery) -> None:
        self.calls.append(delivery)
        failure = self.failure(delivery) if callable(self.failure) else self.failure
        if failure is not None:
            raise failure

    @property
    def event_ids(self) -> list[str]:
        return [d.event_id for d in self.calls]


def http_400() -> DeliveryFailed:
    return DeliveryFailed("HTTP 400 Bad Request: the receiver refuses this event", retryable=False)
