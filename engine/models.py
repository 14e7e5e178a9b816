"""The database model: procedure versions, cases, their history, timers, outbox, accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow

CHANNELS = ("online", "counter", "phone", "mail", "api")
#: Staff act on cases in the back office; agents and supervisors within their departments.
STAFF_KINDS = ("agent", "supervisor", "administrator")
DEPARTMENT_KINDS = ("agent", "supervisor")
ACCOUNT_KINDS = ("citizen", *STAFF_KINDS)


class ProcedureVersion(Base):
    """A published version of a procedure: its YAML source, immutable once published."""

    __tablename__ = "procedure_versions"
    __table_args__ = (sa.UniqueConstraint("slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(sa.Text)
    # the reusable workflows it uses, as they were when published: name -> YAML text
    workflows: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    withdrawn_at: Mapped[dt.datetime | None]


class Account(Base):
    """A person who signs in: a citizen, an agent, a supervisor or an administrator."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint(f"kind IN {ACCOUNT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="citizen")
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    email_confirmed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prefill_consent: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    @property
    def departments(self) -> frozenset[str]:
        return frozenset(m.department for m in self.memberships)


class Membership(Base):
    """An agent's or supervisor's membership of a department of the site config."""

    __tablename__ = "memberships"

    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    department: Mapped[str] = mapped_column(sa.String(100), primary_key=True)

    account: Mapped[Account] = relationship(back_populates="memberships")


class AccountSession(Base):
    """A signed-in browser: the Flask session carries a random id, whose hash is kept here.

    Signing out deletes the row; a password change or reset revokes the account's sessions,
    so a copied session cookie stops working on the server, not only in the browser.
    """

    __tablename__ = "sessions"
    __table_args__ = (sa.Index("ix_sessions_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_agent_hash: Mapped[str | None] = mapped_column(sa.String(64))
    revoked_at: Mapped[dt.datetime | None]


class AccountToken(Base):
    """A single-use token mailed in a link (address confirmation, password reset): only its
    hash is kept, it expires, and it is refused once used."""

    __tablename__ = "account_tokens"
    __table_args__ = (sa.Index("ix_account_tokens_account", "account_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # confirm | reset
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class ExternalIdentity(Base):
    """An identity provider's account linked to a Guichet account, by the provider's
    ``sub`` (never by e-mail): FranceConnect for citizens, ProConnect for staff.

    ``claims`` holds what the provider last said (for FranceConnect, the pivot identity),
    received at ``last_seen_at``: certified answers are prefilled from it.
    """

    __tablename__ = "external_identities"
    __table_args__ = (
        sa.UniqueConstraint("provider", "sub"),
        sa.Index("ix_external_identities_account", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(30))  # franceconnect | proconnect
    sub: Mapped[str] = mapped_column(sa.String(255))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


#: What an API client may be allowed to do (issue 15: the REST API).
API_SCOPES = (
    "cases:read",
    "cases:write",
    "documents:read",
    "procedures:read",
    "events:read",
)


class ApiClient(Base):
    """A department's system that calls the REST API with a bearer token.

    Only the token's SHA-256 is kept (the token is random and long, so a plain digest is
    enough); the token itself is shown once, when the client is created. A client acts as
    its departments, and with ``as_agent`` also as their agents."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    departments: Mapped[list[Any]] = mapped_column(default=list)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    as_agent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ReferenceCounter(Base):
    """The last sequence number given, per procedure and year."""

    __tablename__ = "reference_counters"

    procedure: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


OPEN = "closed_at IS NULL AND submitted_at IS NOT NULL"
CLOSED = "closed_at IS NOT NULL AND submitted_at IS NOT NULL"


def inbox_indexes() -> tuple[sa.Index, ...]:
    """What the inbox's tabs count and sort with (see engine.inbox): the counts read the
    partial indexes alone, the pages walk an index in the chosen order."""
    return (
        sa.Index(
            "ix_cases_open_tabs",
            "department",
            "procedure",
            "state",
            "assignee_id",
            postgresql_where=sa.text(OPEN),
        ),
        sa.Index(
            "ix_cases_closed_tabs",
            "department",
            "procedure",
            "state",
            "assignee_id",
            postgresql_where=sa.text(CLOSED),
        ),
        sa.Index("ix_cases_assignee", "assignee_id", "id", postgresql_where=sa.text(OPEN)),
        *(
            sa.Index(
                f"ix_cases_by_{column}",
                "department",
                column,
                "id",
                postgresql_where=sa.text("submitted_at IS NOT NULL"),
            )
            for column in ("submitted_at", "clock_expires_at", "last_activity_at")
        ),
    )


class Case(Base):
    """One filing of a procedure: a draft until submitted, then a case in a workflow."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.UniqueConstraint("procedure", "reference"),
        sa.CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        sa.Index(
            "ix_cases_open_by_department",
            "department",
            "state",
            "id",
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        ),
        # the inbox: a department's open cases, newest first (keyset pages on id)
        sa.Index(
            "ix_cases_inbox",
            "department",
            "id",
            postgresql_where=sa.text("closed_at IS NULL AND submitted_at IS NOT NULL"),
        ),
        sa.Index("ix_cases_owner", "owner_id", "id"),
        # the search by the e-mail an anonymous filer typed (migration 0010)
        sa.Index("ix_cases_filer_email", "filer_email"),
        # the inbox's tabs (migration 0008): counted from the index alone, and sorted
        *inbox_indexes(),
        # the retention purge: closed cases not anonymised yet, per version (migration 0013)
        sa.Index(
            "ix_cases_retention",
            "version_id",
            "closed_at",
            postgresql_where=sa.text("closed_at IS NOT NULL AND anonymised_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(sa.String(100))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("procedure_versions.id"))
    reference: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(100))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    tracking_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(20), default="online")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the answers that came from a prefill source: {field id: {"source", "type", "at",
    #: "key" and "value" digests}}; no personal data (``factory.portal.prefill``)
    prefilled: Mapped[dict[str, Any] | None]
    #: who files, as the answers say, for the inbox's search (engine.inbox.index_requester)
    organisation_name: Mapped[str | None] = mapped_column(sa.String(300))
    filer_email: Mapped[str | None] = mapped_column(sa.String(320))
    current_page: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    state_entered_at: Mapped[dt.datetime | None]
    # the legal clock: its expiry, and what is left of it while paused
    clock_started_at: Mapped[dt.datetime | None]
    clock_expires_at: Mapped[dt.datetime | None]
    clock_paused_at: Mapped[dt.datetime | None]
    clock_remaining_days: Mapped[int | None]
    anonymised_at: Mapped[dt.datetime | None]
    #: a legal hold keeps a closed case from being anonymised (engine.retention): since when,
    #: and why (who set it is in the audit log)
    legal_hold_at: Mapped[dt.datetime | None]
    legal_hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: when someone last acted on the case or wrote about it (the inbox's "last activity")
    last_activity_at: Mapped[dt.datetime | None]
    lock_version: Mapped[int] = mapped_column(default=1)

    version: Mapped[ProcedureVersion] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None


class CaseEvent(Base):
    """One line of a case's history: who did what, when, from which state to which."""

    __tablename__ = "case_events"
    __table_args__ = (sa.Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(30))  # submitted, transition, set, assigned…
    actor_kind: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    actor_department: Mapped[str | None] = mapped_column(sa.String(100))
    transition: Mapped[str | None] = mapped_column(sa.String(100))
    from_state: Mapped[str | None] = mapped_column(sa.String(100))
    to_state: Mapped[str | None] = mapped_column(sa.String(100))
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Attachment(Base):
    """A file a citizen or an agent gave; its content is on disk, outside the web root."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    field: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Document(Base):
    """A PDF the workflow wrote for a case (a ``document:`` action): immutable, its bytes
    kept in the row with their SHA-256, so that it exists exactly when the transaction
    that wrote it committed, before any mail that carries it is sent."""

    __tablename__ = "documents"
    __table_args__ = (sa.Index("ix_documents_case", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    #: the template it was rendered from (templates/NAME.html)
    template: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(255))
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: "citizen": it goes with the citizen's next notification (``to: citizen``)
    audience: Mapped[str | None] = mapped_column(sa.String(20))
    #: the notification it went with, once it did
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Timer(Base):
    """Something due at a time: a deadline that fires or reminds, the clock's alert or expiry."""

    __tablename__ = "timers"
    __table_args__ = (
        sa.Index("ix_timers_due", "status", "due_at"),
        # a transition cancels or replaces the timers of its case
        sa.Index("ix_timers_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # fire, remind, clock_alert, clock_expiry
    due_at: Mapped[dt.datetime]
    state: Mapped[str | None] = mapped_column(sa.String(100))
    transition: Mapped[str | None] = mapped_column(sa.String(100))
    audience: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    locked_until: Mapped[dt.datetime | None]
    claim: Mapped[str | None] = mapped_column(sa.String(36))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]


class OutboxMessage(Base):
    """A side effect to deliver after commit: a notification or a connector delivery."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # notify | send
    connector: Mapped[str] = mapped_column(sa.String(100))
    audience: Mapped[str | None] = mapped_column(sa.String(20))  # citizen | agents (notify)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
    claim: Mapped[str | None] = mapped_column(sa.String(36))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]


class Notification(Base):
    """A message shown in a citizen's personal space or an agent's inbox."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    audience: Mapped[str] = mapped_column(sa.String(20))
    department: Mapped[str | None] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


class Message(Base):
    """A message between the citizen and the agents about a case."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(sa.String(20))  # citizen | agent
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


class Reminder(Base):
    """A citizen's reminder ("relance") that the agents must see."""

    __tablename__ = "reminders"
    __table_args__ = (sa.Index("ix_reminders_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(sa.Text, default="")


class Satisfaction(Base):
    """How satisfied the citizen was, once the case was closed (1 to 5)."""

    __tablename__ = "satisfaction"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InternalNote(Base):
    """A note agents write about a case; the citizen never sees it."""

    __tablename__ = "internal_notes"
    __table_args__ = (sa.Index("ix_internal_notes_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseRead(Base):
    """How far one member of staff has read a case: the last event, message, internal note
    and reminder they saw (ids only grow, so what comes after is unread)."""

    __tablename__ = "case_reads"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    read_up_to: Mapped[dt.datetime] = mapped_column(default=utcnow)
    event_id: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[int] = mapped_column(default=0)
    note_id: Mapped[int] = mapped_column(default=0)
    reminder_id: Mapped[int] = mapped_column(default=0)


class AuditEvent(Base):
    """Who did what to which case, when; staff reading a case is recorded too."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(sa.String(50))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Rollup(Base):
    """The statistics of one procedure in one department, as the worker last computed them.

    The row whose procedure and department are both empty is the refresh marker: its
    ``computed_at`` is when the worker last refreshed the rollups.
    """

    __tablename__ = "rollups"
    __table_args__ = (sa.UniqueConstraint("procedure", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str] = mapped_column(sa.String(100))
    computed_at: Mapped[dt.datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SavedFilter(Base):
    """An agent's named inbox filter: the query string of the inbox, kept to apply it again."""

    __tablename__ = "saved_filters"
    __table_args__ = (sa.Index("ix_saved_filters_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    query: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboxCount(Base):
    """How many submitted cases share a department, a procedure, a state, an assignee (0:
    nobody) and being closed or not. Database triggers on ``cases`` keep it (migration
    0008_inbox), in the transaction that changes the case: the inbox's tabs read their
    counts here instead of counting a million rows."""

    __tablename__ = "inbox_counts"

    department: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    procedure: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    assignee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    closed: Mapped[bool] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
