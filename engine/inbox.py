"""The agents' inbox: its tabs, their exact counts, a page of cases in a chosen order.

A tab is a condition on the cases of the agent's departments:

- ``todo`` ("À traiter"): open, assigned to nobody, not waiting for the citizen;
- ``mine`` ("Mes dossiers"): open and assigned to the agent;
- ``waiting`` ("En attente de l'usager"): open, in a state the citizen must act in
  (``owner: citizen`` in the workflow);
- ``closed`` ("Clos"): in a final state.

The counts agree with the lists: read from counters that triggers keep in each case's
transaction (``inbox_counts``), or, under a search or a channel, deadline filter, exact
``COUNT`` queries over the lists' own conditions, served by partial indexes. A page walks an
index in the order chosen (filing date, legal deadline or last activity) from a cursor (the
last row's value and id): the first page and the ten-thousandth cost the same. Cases with
no value for the order (no legal deadline) come after the others, by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from .models import Account, Case, InboxCount, Message, Reminder, Timer

TABS = ("todo", "mine", "waiting", "closed")
SORTS = {
    "filed": Case.submitted_at,
    "deadline": Case.clock_expires_at,
    "activity": Case.last_activity_at,
}
PAGE_SIZE = 50
#: The shortest search that looks inside the answers (a trigram index needs three letters).
MIN_ANSWERS_SEARCH = 3


@dataclass(frozen=True)
class Filters:
    """What narrows a tab (every field optional)."""

    procedure: str | None = None
    state: str | None = None
    channel: str | None = None
    assigned: str | None = None  # "me" or "none"
    overdue: bool = False
    expiring_before: dt.datetime | None = None
    search: str = ""


@dataclass(frozen=True)
class Scope:
    """Whose inbox: the agent, their departments, and the states where the citizen acts
    (procedure slug → state ids), as the published workflows say."""

    account_id: int
    departments: frozenset[str]
    waiting_states: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One line of the inbox."""

    case: Case
    owner_name: str | None
    owner_email: str | None
    assignee_name: str | None
    unread_messages: int
    reminders: int


def touch(session: Session, case: Case, now: dt.datetime) -> None:
    """Mark ``case`` as active at ``now`` without changing its version (a citizen's message
    must not make the agent's open form stale)."""
    session.execute(
        sa.update(Case.__table__).where(Case.__table__.c.id == case.id).values(last_activity_at=now)
    )


#: (procedure slug, version) → (its organisation's name fields, its e-mail fields)
_REQUESTER_FIELDS: dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def requester_fields(procedure) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields that name who files: an organisation's name (``autocomplete:
    organization``) and the e-mail addresses a filer types, in the form's order."""
    key = (procedure.slug, procedure.version)
    if key not in _REQUESTER_FIELDS:
        fields = procedure.fields.values()
        _REQUESTER_FIELDS[key] = (
            tuple(f.id for f in fields if f.autocomplete == "organization"),
            tuple(f.id for f in fields if f.type == "email"),
        )
    return _REQUESTER_FIELDS[key]


def first_answer(answers: Mapping[str, Any], names: Iterable[str]) -> str:
    for name in names:
        value = answers.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def index_requester(case: Case, procedure) -> None:
    """Keep the case's searchable requester in step with its answers: the organisation's
    name and the e-mail the filer typed (lower case), each under its own index, so that the
    search never reads the answers themselves."""
    organisations, emails = requester_fields(procedure)
    case.organisation_name = first_answer(case.answers, organisations)[:300] or None
    case.filer_email = first_answer(case.answers, emails).lower()[:320] or None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(search: str):
    """A reference or an account's name by its beginning, an e-mail address in full (an
    account's, or the one an anonymous filer typed), an organisation's name anywhere in it
    (three letters at least). Each side has its index (migrations 0006 and 0010: a trigram
    index for the organisations' names on PostgreSQL); they are joined with a UNION so that
    none scans the cases."""
    search = search.strip().lower()
    if "@" in search:
        owners = sa.select(Account.id).where(Account.email == search)  # stored in lower case
        return Case.id.in_(
            sa.union(
                sa.select(Case.id).where(Case.owner_id.in_(owners)),
                sa.select(Case.id).where(Case.filer_email == search),
            )
        )
    prefix = _escape(search) + "%"
    owners = sa.select(Account.id).where(sa.func.lower(Account.name).like(prefix, escape="\\"))
    parts = [
        sa.select(Case.id).where(sa.func.lower(Case.reference).like(prefix, escape="\\")),
        sa.select(Case.id).where(Case.owner_id.in_(owners)),
    ]
    if len(search) >= MIN_ANSWERS_SEARCH:
        inside = sa.func.lower(Case.organisation_name).like(f"%{_escape(search)}%", escape="\\")
        parts.append(sa.select(Case.id).where(inside))
    return Case.id.in_(sa.union(*parts))


def waiting_condition(scope: Scope):
    pairs = [
        sa.and_(Case.procedure == slug, Case.state.in_(sorted(states)))
        for slug, states in sorted(scope.waiting_states.items())
        if states
    ]
    return sa.or_(*pairs) if pairs else sa.false()


def tab_condition(tab: str, scope: Scope):
    """The cases of ``tab`` in the scope's departments."""
    where = [Case.department.in_(sorted(scope.departments)), Case.submitted_at.is_not(None)]
    if tab == "closed":
        return sa.and_(*where, Case.closed_at.is_not(None))
    where.append(Case.closed_at.is_(None))
    if tab == "mine":
        where.append(Case.assignee_id == scope.account_id)
    elif tab == "waiting":
        where.append(waiting_condition(scope))
    else:  # todo
        where += [Case.assignee_id.is_(None), sa.not_(waiting_condition(scope))]
    return sa.and_(*where)


def filter_conditions(filters: Filters, scope: Scope, now: dt.datetime) -> list:
    where = []
    if filters.procedure:
        where.append(Case.procedure == filters.procedure)
    if filters.state:
        where.append(Case.state == filters.state)
    if filters.channel:
        where.append(Case.channel == filters.channel)
    if filters.assigned == "me":
        where.append(Case.assignee_id == scope.account_id)
    elif filters.assigned == "none":
        where.append(Case.assignee_id.is_(None))
    if filters.overdue:
        late = sa.select(Timer.case_id).where(
            Timer.status == "pending",
            Timer.kind.in_(("fire", "clock_expiry")),
            Timer.due_at < now,
        )
        where.append(Case.id.in_(late))
    if filters.expiring_before is not None:
        limit = filters.expiring_before
        where += [Case.clock_expires_at.is_not(None), Case.clock_expires_at <= limit]
    if filters.search.strip():
        where.append(search_condition(filters.search))
    return where


def counted(
    session: Session, scope: Scope, filters: Filters, now: dt.datetime
) -> dict[str, int]:
    """How many cases each tab holds under ``filters``: exact counts, in one statement that
    runs the filters (a search above all) once for the four tabs."""
    narrowed = filter_conditions(filters, scope, now)
    columns = [sa.func.count().filter(tab_condition(tab, scope)) for tab in TABS]
    row = session.execute(
        sa.select(*columns)
        .select_from(Case)
        .where(
            Case.department.in_(sorted(scope.departments)),
            Case.submitted_at.is_not(None),
            *narrowed,
        )
    ).one()
    return {tab: int(number or 0) for tab, number in zip(TABS, row, strict=True)}


def _tab_of_group(scope: Scope, procedure: str, state: str, assignee: int, closed: bool):
    """The tabs a group of inbox_counts belongs to."""
    if closed:
        return ("closed",)
    found = []
    waiting = state in scope.waiting_states.get(procedure, ())
    if assignee == scope.account_id:
        found.append("mine")
    if waiting:
        found.append("waiting")
    elif assignee == 0:
        found.append("todo")
    return found


def counts(
    session: Session, scope: Scope, filters: Filters, now: dt.datetime
) -> dict[str, int]:
    """How many cases each tab holds under ``filters``, always as its list shows them.

    Narrowed by procedure, state or assignment only, the counts are read from
    ``inbox_counts`` (kept by triggers in each case's transaction: one statement, a few
    rows per department); any other filter (a search, a channel, a deadline) counts the
    cases themselves (:func:`counted`)."""
    if filters.channel or filters.overdue or filters.expiring_before or filters.search.strip():
        return counted(session, scope, filters, now)
    query = sa.select(
        InboxCount.procedure,
        InboxCount.state,
        InboxCount.assignee_id,
        InboxCount.closed,
        sa.func.sum(InboxCount.n),
    ).where(InboxCount.department.in_(sorted(scope.departments)), InboxCount.n != 0)
    if filters.procedure:
        query = query.where(InboxCount.procedure == filters.procedure)
    if filters.state:
        query = query.where(InboxCount.state == filters.state)
    if filters.assigned == "me":
        query = query.where(InboxCount.assignee_id == scope.account_id)
    elif filters.assigned == "none":
        query = query.where(InboxCount.assignee_id == 0)
    query = query.group_by(
        InboxCount.procedure, InboxCount.state, InboxCount.assignee_id, InboxCount.closed
    )
    totals = dict.fromkeys(TABS, 0)
    for procedure, state, assignee, closed, number in session.execute(query):
        for tab in _tab_of_group(scope, procedure, state, assignee, bool(closed)):
            totals[tab] += int(number or 0)
    return totals


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the row whose order value is ``value`` (None: a row with
    no value, in the trailing part) and whose id is ``case_id``."""

    value: dt.datetime | None
    case_id: int

    def encode(self) -> str:
        if self.value is None:
            return f"n.{self.case_id}"
        return f"{self.value.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}.{self.case_id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor of a URL, or None for anything malformed."""
        if not raw or raw.count(".") != 1:
            return None
        value, _, identifier = raw.partition(".")
        if not identifier.isdigit() or len(identifier) > 18:
            return None
        if value == "n":
            return cls(None, int(identifier))
        try:
            moment = dt.datetime.strptime(value, "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
        except ValueError:
            return None
        return cls(moment, int(identifier))


def _after(column, descending: bool, cursor: Cursor | None) -> tuple[list, list]:
    """The conditions of the part with a value and of the trailing part without one."""
    valued, empty = [column.is_not(None)], [column.is_(None)]
    if cursor is None:
        return valued, empty
    if cursor.value is None:  # already in the trailing part
        empty.append(Case.id < cursor.case_id if descending else Case.id > cursor.case_id)
        return [sa.false()], empty
    key = sa.tuple_(column, Case.id)
    bound = sa.tuple_(sa.literal(cursor.value, column.type), sa.literal(cursor.case_id))
    valued.append(key < bound if descending else key > bound)
    return valued, empty


def page(
    session: Session,
    scope: Scope,
    tab: str,
    filters: Filters,
    now: dt.datetime,
    *,
    sort: str = "filed",
    descending: bool = True,
    cursor: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Row], Cursor | None]:
    """One page of ``tab`` and the cursor of the next one (None on the last page)."""
    column = SORTS.get(sort, Case.submitted_at)
    where = [tab_condition(tab, scope), *filter_conditions(filters, scope, now)]
    valued, empty = _after(column, descending, cursor)
    found = _rows(session, where + valued, [column, Case.id], descending, size + 1)
    if len(found) <= size:
        found += _rows(session, where + empty, [Case.id], descending, size + 1 - len(found))
    more = len(found) > size
    found = found[:size]
    if not more or not found:
        return found, None
    last = found[-1].case
    return found, Cursor(getattr(last, column.key), last.id)


def _rows(
    session: Session, where: Iterable, order: list, descending: bool, limit: int
) -> list[Row]:
    """The page's cases in ``order`` (columns of ``Case``), with the names of their owner and
    assignee and their badges. The cases are picked first, in a subquery that the indexes
    serve with its LIMIT; the accounts are then joined by key for those rows only, so that
    the planner never hashes the whole ``accounts`` table to name a page of requesters."""
    direction = (lambda c: c.desc()) if descending else (lambda c: c.asc())
    picked = (
        sa.select(Case).where(*where).order_by(*map(direction, order)).limit(limit).subquery()
    )
    case = aliased(Case, picked)
    owner, assignee = aliased(Account), aliased(Account)
    unread = (
        sa.select(sa.func.count())
        .where(
            Message.case_id == case.id,
            Message.author_kind == "citizen",
            Message.read_at.is_(None),
        )
        .scalar_subquery()
    )
    reminders = (
        sa.select(sa.func.count())
        .where(Reminder.case_id == case.id, Reminder.created_at >= case.state_entered_at)
        .scalar_subquery()
    )
    query = (
        sa.select(case, owner.name, owner.email, assignee.name, unread, reminders)
        .outerjoin(owner, owner.id == case.owner_id)
        .outerjoin(assignee, assignee.id == case.assignee_id)
        .order_by(*(direction(getattr(case, column.key)) for column in order))
    )
    return [Row(*values) for values in session.execute(query)]
