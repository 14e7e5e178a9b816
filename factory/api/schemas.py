"""The API's documents as Pydantic models: what spectree validates requests and responses
against, and what the OpenAPI document describes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

#: A page holds at most this many rows.
MAX_PAGE = 200


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An RFC 9457 problem (``application/problem+json``), in French."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


# -- procedures --------------------------------------------------------------------------------


class VersionSummary(Model):
    version: int
    published_at: dt.datetime
    withdrawn: bool


class ProcedureSummary(Model):
    slug: str
    title: str
    department: str
    versions: list[VersionSummary]


class ProcedureList(Model):
    items: list[ProcedureSummary]


class TransitionInfo(Model):
    id: str
    label: str
    sources: list[str]
    target: str
    by: str
    department: str | None = None
    #: the JSON Schema of the transition's form values (``values`` of a firing)
    form_schema: dict[str, Any] | None = None


class StateInfo(Model):
    id: str
    label: str
    final: bool


class ProcedureVersionDetail(Model):
    slug: str
    version: int
    title: str
    department: str
    published_at: dt.datetime
    withdrawn: bool
    #: the JSON Schema (Draft 2020-12) the answers of a case of this version validate against
    answers_schema: dict[str, Any]
    states: list[StateInfo]
    transitions: list[TransitionInfo]


# -- cases -------------------------------------------------------------------------------------


class CaseQuery(Model):
    procedure: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=100)
    #: only the cases where something happened since (ISO 8601 with a time zone)
    updated_since: AwareDatetime | None = None
    #: the ``next`` of the previous page
    after: int | None = Field(None, ge=1, le=2**53)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class CaseSummary(Model):
    id: int
    reference: str
    procedure: str
    version: int
    state: str
    department: str
    channel: str
    submitted_at: dt.datetime
    updated_at: dt.datetime | None
    closed: bool
    #: the case's version: send it in If-Match to change the case
    lock_version: int


class CaseList(Model):
    items: list[CaseSummary]
    #: the ``after`` of the next page; null on the last one
    next: int | None


class HistoryItem(Model):
    id: int
    at: dt.datetime
    kind: str
    actor: str
    department: str | None
    transition: str | None
    from_state: str | None
    to_state: str | None
    values: dict[str, Any]


class AttachmentInfo(Model):
    id: str
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class CaseDetail(CaseSummary):
    answers: dict[str, Any]
    history: list[HistoryItem]
    attachments: list[AttachmentInfo]
    #: the transitions this client may fire now
    transitions: list[str]


class FireBody(Model):
    values: dict[str, Any] = Field(default_factory=dict)


class IfMatch(BaseModel):
    """The case's version (its ETag) the client saw."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    if_match: str | None = Field(None, alias="If-Match", max_length=100)


class IdempotencyKey(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    idempotency_key: str | None = Field(
        None, alias="Idempotency-Key", min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$"
    )


class MessageBody(Model):
    body: str = Field(min_length=1, max_length=5000)


class MessageInfo(Model):
    id: int
    case_id: int
    body: str
    created_at: dt.datetime


class DocumentForm(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    file: Any = Field(json_schema_extra={"type": "string", "format": "binary"})


class FileCaseBody(Model):
    procedure: str = Field(min_length=1, max_length=100)
    #: the published version to file under (the newest when absent)
    version: int | None = Field(None, ge=1, le=2**31)
    answers: dict[str, Any]
    #: the e-mail address of the citizen's account the case is filed for, if any
    owner_email: str | None = Field(None, max_length=320)


# -- events ------------------------------------------------------------------------------------


class EventQuery(Model):
    #: the ``next`` of the previous page (an opaque cursor); from the start when absent
    after: str | None = Field(None, max_length=100, pattern=r"^\d{1,15}\.\d{1,15}$")
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class Event(Model):
    #: a cursor standing right after this event
    cursor: str
    #: ``case.<kind>`` for the history of a case, ``delivery`` for the outbox
    type: str
    at: dt.datetime
    case_id: int | None
    reference: str | None
    procedure: str | None
    data: dict[str, Any]


class EventList(Model):
    items: list[Event]
    #: send it as ``after`` to read on (the same cursor again when nothing is new yet)
    next: str
