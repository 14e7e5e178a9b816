"""The API's cases: the list of the client's departments' cases (filters, keyset pages,
ETag), one case, its documents, firing a transition (If-Match), a message to the citizen,
a document attached, a case filed on behalf of a citizen (Idempotency-Key).

A case outside the client's departments (or a draft) is a 404, as for agents."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from flask_babel import lazy_gettext as _l
from spectree import Response as Responses

from engine import cases as operations
from engine import exchanges
from engine.attachments import FileChanges, add_attachment
from engine.errors import InvalidValues
from engine.models import Attachment, Case, CaseEvent, ProcedureVersion
from engine.workflow import may_act
from renderers import file_content
from renderers.file_names import download_name

from ..accounts import find_account
from ..downloads import download
from ..paging import keyset_page
from ..services import db, services
from . import bp
from .clients import actor, audit, client, requires
from .problems import ApiProblem
from .schemas import (
    CaseDetail,
    CaseList,
    CaseQuery,
    CaseSummary,
    DocumentForm,
    FileCaseBody,
    FireBody,
    IdempotencyKey,
    IfMatch,
    MessageBody,
    MessageInfo,
    Problem,
)
from .spec import spectree

#: A document the API attaches: what its content may be.
DOCUMENT_FIELD = "document"


def api_case(case_id: int) -> Case:
    """A submitted case of one of the client's departments, or 404."""
    case = db().get(Case, case_id)
    if case is None or case.is_draft or case.department not in client().departments:
        abort(404)
    return case


def etag(case: Case) -> str:
    return f'"{case.lock_version}"'


def summary(case: Case) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        reference=case.reference or "",
        procedure=case.procedure,
        version=case.version.version,
        state=case.state or "",
        department=case.department or "",
        channel=case.channel,
        submitted_at=case.submitted_at,
        updated_at=case.last_activity_at,
        closed=case.closed_at is not None,
        lock_version=case.lock_version,
    )


def firable(case: Case) -> list[str]:
    """The transitions the client may fire on ``case`` now (the guard aside)."""
    if case.closed_at is not None and case.state is None:
        return []
    compiled = services().runtime.catalogue.compiled(db(), case.version_id)
    who = actor()
    return [
        t
        for t in compiled.triggers(case.state)
        if may_act(
            compiled.transition(t),
            who,
            department=case.department,
            owner_id=case.owner_id,
            tracking_token=case.tracking_token,
        )
    ]


def detail(case: Case) -> CaseDetail:
    session = db()
    events = session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    attachments = session.scalars(
        sa.select(Attachment)
        .where(Attachment.case_id == case.id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return CaseDetail(
        **summary(case).model_dump(),
        answers=dict(case.answers),
        history=[
            {
                "id": e.id,
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor_kind,
                "department": e.actor_department,
                "transition": e.transition,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "values": dict(e.values or {}),
            }
            for e in events
        ],
        attachments=[
            {
                "id": a.id,
                "field": a.field,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "created_at": a.created_at,
            }
            for a in attachments
        ],
        transitions=firable(case),
    )


def _json(model, status: int = 200, headers: dict | None = None) -> Response:
    response = current_app.response_class(
        model.model_dump_json(), status=status, mimetype="application/json"
    )
    response.headers.update(headers or {})
    return response


def _not_modified(tag: str) -> bool:
    sent = request.headers.get("If-None-Match", "")
    return any(part.strip().removeprefix("W/") == tag for part in sent.split(",") if part)


# -- reading -----------------------------------------------------------------------------------


@bp.get("/cases")
@requires("cases:read")
@spectree.validate(
    query=CaseQuery,
    resp=Responses(HTTP_200=CaseList, HTTP_304=None, HTTP_422=Problem),
    tags=["cases"],
    operation_id="list_cases",
)
def list_cases(query: CaseQuery):
    """The cases of the client's departments

    Newest first, in keyset pages: pass the page's `next` as `after` to read the next one.
    Filters: `procedure`, `state`, `updated_since` (something happened since). The page has an
    ETag: send it in `If-None-Match` to get a 304 when nothing changed."""
    statement = (
        sa.select(Case)
        .where(Case.submitted_at.is_not(None), Case.department.in_(client().departments))
        .options(sa.orm.joinedload(Case.version))
    )
    if query.procedure:
        statement = statement.where(Case.procedure == query.procedure)
    if query.state:
        statement = statement.where(Case.state == query.state)
    if query.updated_since:
        statement = statement.where(Case.last_activity_at >= query.updated_since)
    page = keyset_page(db(), statement, Case.id, query.after, size=query.limit)
    body = CaseList(items=[summary(c) for c in page.rows], next=page.next_after)
    audit("api.list", count=len(page.rows))
    db().commit()
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32]
    tag = f'W/"{digest}"'
    if _not_modified(tag.removeprefix("W/")):
        return Response(status=304, headers={"ETag": tag})
    return _json(body, headers={"ETag": tag})


@bp.get("/cases/<int:case_id>")
@requires("cases:read")
@spectree.validate(
    resp=Responses(HTTP_200=CaseDetail, HTTP_304=None, HTTP_404=Problem),
    tags=["cases"],
    operation_id="read_case",
)
def read_case(case_id: int):
    """One case

    Its answers, state, history, attachments' metadata and the transitions this client may
    fire. Its ETag is the case's version, to send in `If-Match` when changing it."""
    case = api_case(case_id)
    body = detail(case)
    audit("api.read", case)
    db().commit()
    if _not_modified(etag(case)):
        return Response(status=304, headers={"ETag": etag(case)})
    return _json(body, headers={"ETag": etag(case)})


# a streamed file: spectree would read it whole to validate it, so this operation is
# described by hand (spec.DOWNLOAD) rather than through spectree.validate
@bp.get("/cases/<int:case_id>/attachments/<attachment_id>")
@requires("documents:read")
def download_attachment(case_id: int, attachment_id: str):
    """Download an attachment of a case

    Always as `application/octet-stream`, with its name in `Content-Disposition`."""
    case = api_case(case_id)
    found = db().get(Attachment, attachment_id)
    if found is None or found.case_id != case.id:
        abort(404)
    audit("api.download", case, attachment=found.id)
    db().commit()
    return download(found)


# -- writing -----------------------------------------------------------------------------------


def expected_version(headers: IfMatch | None, case: Case) -> int:
    """The version ``If-Match`` names: 428 without it, 412 (with the current version) when
    it is not the case's."""
    sent = (headers.if_match if headers else None) or request.headers.get("If-Match")
    if not sent:
        raise ApiProblem(428, current_version=case.lock_version)
    tag = sent.strip().removeprefix("W/").strip('"')
    if tag == "*":
        return case.lock_version
    if not tag.isdigit() or int(tag) != case.lock_version:
        raise ApiProblem(412, current_version=case.lock_version, headers={"ETag": etag(case)})
    return int(tag)


@bp.post("/cases/<int:case_id>/transitions/<transition_id>")
@requires("cases:write")
@spectree.validate(
    json=FireBody,
    headers=IfMatch,
    resp=Responses(
        HTTP_200=CaseDetail,
        HTTP_404=Problem,
        HTTP_409=Problem,
        HTTP_412=Problem,
        HTTP_415=Problem,
        HTTP_422=Problem,
        HTTP_428=Problem,
    ),
    tags=["cases"],
    operation_id="fire_transition",
)
def fire_transition(case_id: int, transition_id: str, json: FireBody, headers: IfMatch):
    """Fire a transition

    With its form's values, and the case's version in `If-Match`: a stale version answers
    412 with the current one (`current_version`). The client fires its departments'
    transitions (`by: {department: …}`), and its agents' ones when it acts as an agent."""
    case = api_case(case_id)
    version = expected_version(headers, case)
    values = json.values if json is not None else {}
    state = services()
    operations.fire(
        db(),
        state.runtime,
        case,
        transition_id,
        actor(),
        state.clock,
        values=values,
        expected_version=version,
    )
    audit("api.transition", case, transition=transition_id)
    db().commit()
    return _json(detail(case), headers={"ETag": etag(case)})


@bp.post("/cases/<int:case_id>/messages")
@requires("cases:write")
@spectree.validate(
    json=MessageBody,
    resp=Responses(
        HTTP_201=MessageInfo,
        HTTP_404=Problem,
        HTTP_409=Problem,
        HTTP_415=Problem,
        HTTP_422=Problem,
    ),
    tags=["cases"],
    operation_id="post_message",
)
def post_message(case_id: int, json: MessageBody):
    """Write to the citizen

    The message appears in the citizen's personal space (or tracking page) and is mailed."""
    case = api_case(case_id)
    if json is None:
        raise ApiProblem(415)
    state = services()
    message = exchanges.post_message(db(), state.runtime, case, actor(), state.clock, json.body)
    audit("api.message", case, message=message.id)
    db().commit()
    return _json(
        MessageInfo(
            id=message.id, case_id=case.id, body=message.body, created_at=message.created_at
        ),
        201,
        {"ETag": etag(case)},
    )


DOCUMENT_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/tiff", "text/plain", "text/csv"}
)


@bp.post("/cases/<int:case_id>/documents")
@requires("cases:write")
@spectree.validate(
    form=DocumentForm,
    resp=Responses(
        HTTP_201=CaseDetail, HTTP_404=Problem, HTTP_413=Problem, HTTP_415=Problem, HTTP_422=Problem
    ),
    tags=["documents"],
    operation_id="attach_document",
)
def attach_document(case_id: int):
    """Attach a document to a case

    One file as `multipart/form-data` (field `file`): PDF, JPEG, PNG, TIFF or plain text,
    checked by its content. The agents and the citizen see it among the case's documents."""
    case = api_case(case_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiProblem(422, _l("Send one file in the “file” field (multipart/form-data)."))
    mime, size = file_content.inspect(upload)
    if mime not in DOCUMENT_TYPES:
        raise ApiProblem(
            415, _l("This kind of file is not accepted: send a PDF, an image or text.")
        )
    if size == 0:
        raise ApiProblem(422, _l("The file is empty."))
    state = services()
    changes = FileChanges(state.storage)
    now = state.clock.now()
    identifier = add_attachment(
        db(),
        changes,
        case,
        DOCUMENT_FIELD,
        upload.stream,
        download_name(upload.filename, mime),
        mime,
        now,
    )
    # the case changes (its attachments are part of it): its version moves, its ETag with it
    case.last_activity_at = now
    with operations.optimistic():
        db().flush()
    audit("api.attach", case, attachment=identifier)
    changes.commit(db())
    return _json(detail(case), 201, {"ETag": etag(case)})


@bp.post("/cases")
@requires("cases:write")
@spectree.validate(
    json=FileCaseBody,
    headers=IdempotencyKey,
    resp=Responses(
        HTTP_200=CaseDetail,
        HTTP_201=CaseDetail,
        HTTP_403=Problem,
        HTTP_404=Problem,
        HTTP_409=Problem,
        HTTP_415=Problem,
        HTTP_422=Problem,
    ),
    tags=["cases"],
    operation_id="file_case",
)
def file_case(json: FileCaseBody, headers: IdempotencyKey):
    """File a case on behalf of a citizen

    The whole answer set at once, validated against the version's JSON Schema; the case is
    filed through the channel `api`. With an `Idempotency-Key`, sending the same request again
    answers the case already filed (200) instead of filing another one (201)."""
    if json is None:
        raise ApiProblem(415)
    session = db()
    state = services()
    catalogue = state.runtime.catalogue
    if json.version is None:
        row = catalogue.current(session, json.procedure)
    else:
        row = session.scalars(
            sa.select(ProcedureVersion).where(
                ProcedureVersion.slug == json.procedure,
                ProcedureVersion.version == json.version,
                ProcedureVersion.withdrawn_at.is_(None),
            )
        ).first()
    if row is None:
        raise ApiProblem(404, _l("No published procedure or version of this name."))
    procedure = catalogue.compiled(session, row.id).procedure
    if procedure.department not in client().departments:
        raise ApiProblem(403, _l("This client does not file for the department of this procedure."))
    owner_id = None
    if json.owner_email:
        owner = find_account(session, json.owner_email)
        if owner is None or owner.kind != "citizen":
            raise ApiProblem(
                422,
                _l("No citizen account uses this address: leave it out to file without one."),
                errors=[{"field": "owner_email", "message": "unknown citizen account"}],
            )
        owner_id = owner.id
    sent = (headers.idempotency_key if headers else None) or request.headers.get("Idempotency-Key")
    key = f"api:{client().id}:{sent}" if sent else None
    replayed = (
        key is not None
        and session.scalar(sa.select(Case.id).where(Case.idempotency_key == key)) is not None
    )
    try:
        case = operations.submit_answers(
            session,
            state.runtime,
            row,
            dict(json.answers),
            actor(),
            state.clock,
            idempotency_key=key,
            channel="api",
            owner_id=owner_id,
        )
    except InvalidValues as error:
        session.rollback()
        raise ApiProblem(
            422,
            _l("The answers are not complete or not valid: see “errors”."),
            errors=[{"field": e.field, "message": str(e.message)} for e in error.errors],
        ) from error
    if case.department not in client().departments:
        session.rollback()  # routed to another department: this client could not follow it
        raise ApiProblem(
            403, _l("This case would go to a department this client does not act for.")
        )
    if not replayed:
        audit("api.file", case, channel="api")
    session.commit()
    return _json(detail(case), 200 if replayed else 201, {"ETag": etag(case)})
