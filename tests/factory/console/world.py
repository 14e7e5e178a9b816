"""What the console's tests share: its people, a version's source and the check of a new
version."""

from __future__ import annotations

import sqlalchemy as sa

from engine.models import AuditEvent, ProcedureVersion

from ..portal_helpers import csrf

PEOPLE = {
    "citoyen@example.org": "citizen",
    "agent@example.org": "agent",
    "chef@example.org": "supervisor",
    "admin@example.org": "administrator",
}


def session_of(app):
    return app.extensions["guichet"].sessions()


def actions(app) -> list[str]:
    with session_of(app) as session:
        return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def source_of(app, slug: str) -> str:
    with session_of(app) as session:
        return session.scalars(
            sa.select(ProcedureVersion.source).where(ProcedureVersion.slug == slug)
        ).one()


NEW_VERSION = "/console/procedures/acte-naissance/nouvelle-version"


def check(admin, source: str):
    return admin.post(NEW_VERSION, data={"csrf_token": csrf(admin, NEW_VERSION), "source": source})
