"""The API's procedures: every procedure of the catalogue with its published versions, and
one version's JSON Schema of answers, states and transitions."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask import abort
from spectree import Response as Responses

from engine.models import ProcedureVersion

from ..language import text
from ..services import db, services
from . import bp
from .clients import audit, requires
from .schemas import Problem, ProcedureList, ProcedureVersionDetail
from .spec import spectree


def plain(value):
    """A schema as plain JSON values (the definitions keep read-only mappings)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@bp.get("/procedures")
@requires("procedures:read")
@spectree.validate(
    resp=Responses(HTTP_200=ProcedureList),
    tags=["procedures"],
    operation_id="list_procedures",
)
def list_procedures():
    """The procedures and their published versions

    Newest version first; a withdrawn version is listed as such."""
    session = db()
    catalogue = services().runtime.catalogue
    rows = list(
        session.scalars(
            sa.select(ProcedureVersion).order_by(
                ProcedureVersion.slug, ProcedureVersion.version.desc()
            )
        )
    )
    items: dict[str, dict] = {}
    for row in rows:
        if row.slug not in items:
            procedure = catalogue.compiled(session, row.id).procedure
            items[row.slug] = {
                "slug": row.slug,
                "title": text(procedure.title),
                "department": procedure.department,
                "versions": [],
            }
        items[row.slug]["versions"].append(
            {
                "version": row.version,
                "published_at": row.published_at,
                "withdrawn": row.withdrawn_at is not None,
            }
        )
    audit("api.procedures")
    session.commit()
    return ProcedureList(items=list(items.values()))


@bp.get("/procedures/<slug>/versions/<int:version>")
@requires("procedures:read")
@spectree.validate(
    resp=Responses(HTTP_200=ProcedureVersionDetail, HTTP_404=Problem),
    tags=["procedures"],
    operation_id="read_procedure_version",
)
def read_procedure_version(slug: str, version: int):
    """One published version of a procedure

    The JSON Schema (Draft 2020-12) its answers validate against (what `POST /cases` takes),
    its states, and its transitions with the JSON Schema of each one's form."""
    session = db()
    row = session.scalars(
        sa.select(ProcedureVersion).where(
            ProcedureVersion.slug == slug, ProcedureVersion.version == version
        )
    ).first()
    if row is None:
        abort(404)
    compiled = services().runtime.catalogue.compiled(session, row.id)
    procedure = compiled.procedure
    workflow = procedure.workflow
    audit("api.procedure", slug=slug, version=version)
    session.commit()
    return ProcedureVersionDetail(
        slug=row.slug,
        version=row.version,
        title=text(procedure.title),
        department=procedure.department,
        published_at=row.published_at,
        withdrawn=row.withdrawn_at is not None,
        answers_schema=plain(procedure.answers_schema),
        states=[
            {"id": s.id, "label": text(s.label) or s.id, "final": bool(s.final)}
            for s in workflow.states
        ],
        transitions=[
            {
                "id": t.id,
                "label": text(t.label) or t.id,
                "sources": list(t.sources),
                "target": t.target,
                "by": t.actor,
                "department": t.actor_department,
                "form_schema": plain(compiled.form_schemas.get(t.id)),
            }
            for t in workflow.transitions
        ],
    )
