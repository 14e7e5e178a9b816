"""The exports of the back office: the cases an agent may see, as a spreadsheet (XLSX) or
as CSV, both as a French spreadsheet opens them without an import dialog.

CSV: `;` between values, UTF-8 with a byte order mark, days as `08/12/2026`, decimals with a
comma. XLSX: days and moments as date cells (`dd/mm/yyyy`), numbers and amounts as numbers.
Headers are labels, states are words (see ``export_columns``).

Both stream in constant memory: rows come from the database in batches (a server-side
cursor on PostgreSQL, ``yield_per``) and are written as they come; the XLSX workbook is
written in openpyxl's write-only mode to a temporary file, then sent in chunks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, abort, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from definitions import formats
from engine.models import Account, Case, ProcedureVersion

from ..access import staff_required
from ..language import current_language, text
from ..services import db, services
from ..wording import staff_word, state_label
from .export_columns import Column, field_columns, summary

bp = Blueprint("exports", __name__, url_prefix="/agents")

BATCH = 500
CHUNK = 64 * 1024
#: what a spreadsheet would read as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAY_FORMAT = "dd/mm/yyyy"
MOMENT_FORMAT = "dd/mm/yyyy hh:mm"
AMOUNT_FORMAT = '#,##0.00\\ "€"'


# -- the rows ----------------------------------------------------------------------------------


def case_rows(
    sessions, departments: list[str], slug: str | None = None, state: str | None = None
) -> Iterator[dict[str, Any]]:
    """The submitted cases of ``departments`` (of one procedure, in one state), in batches."""
    assignee, owner = aliased(Account), aliased(Account)
    query = (
        sa.select(
            Case.reference,
            Case.procedure,
            Case.version_id,
            ProcedureVersion.version,
            Case.state,
            Case.department,
            Case.channel,
            Case.submitted_at,
            Case.closed_at,
            Case.answers,
            assignee.name.label("assignee_name"),
            assignee.email.label("assignee_email"),
            owner.name.label("owner_name"),
            owner.email.label("owner_email"),
        )
        .join(ProcedureVersion, ProcedureVersion.id == Case.version_id)
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .outerjoin(owner, owner.id == Case.owner_id)
        .where(Case.submitted_at.is_not(None), Case.department.in_(departments))
        .order_by(Case.id)
        .execution_options(yield_per=BATCH)
    )
    if slug is not None:
        query = query.where(Case.procedure == slug)
    if state is not None:
        query = query.where(Case.state == state)
    with sessions() as session:
        for row in session.execute(query):
            yield row._asdict()


def _person(name: str | None, email: str | None) -> str | None:
    if name and email:
        return f"{name} ({email})"
    return name or email


def fixed_columns(
    states: dict[tuple[str, str], str],
    titles: dict[str, str],
    departments: dict[str, str],
    timezone: str | None,
) -> list[Column]:
    zone = ZoneInfo(timezone or formats.DEFAULT_TIMEZONE)

    def local(moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)

    return [
        Column(_("Reference"), lambda r: r["reference"]),
        Column(_("Procedure"), lambda r: titles.get(r["procedure"], r["procedure"])),
        Column(_("Version"), lambda r: r["version"]),
        Column(_("State"), lambda r: states.get((r["procedure"], r["state"]), r["state"])),
        Column(_("Department"), lambda r: departments.get(r["department"], r["department"])),
        Column(_("Channel"), lambda r: staff_word(r["channel"])),
        Column(_("Filed on"), lambda r: local(r["submitted_at"])),
        Column(_("Closed on"), lambda r: local(r["closed_at"])),
        Column(_("Requester's account"), lambda r: _person(r["owner_name"], r["owner_email"])),
        Column(_("Assigned to"), lambda r: _person(r["assignee_name"], r["assignee_email"])),
    ]


def values(columns: list[Column], rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [column.value(row) for column in columns]


# -- the writers -------------------------------------------------------------------------------


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value: Any, language: str = "fr") -> str:
    """A value as a French spreadsheet reads it from CSV."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        text_ = format(value, "f") if isinstance(value, Decimal) else str(value)
        if "." in text_:
            text_ = text_.rstrip("0").rstrip(".")
        return text_.replace(".", ",") if formats.locale(language).language == "fr" else text_
    return _safe(str(value))


def csv_chunks(
    columns: list[Column], rows: Iterable[dict[str, Any]], language: str = "fr"
) -> Iterator[str]:
    """The CSV text a few rows at a time: a BOM, the headers, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    yield "\ufeff"
    writer.writerow([c.header for c in columns])
    yield flush()
    for count, row in enumerate(values(columns, rows), start=1):
        writer.writerow([csv_cell(v, language) for v in row])
        if count % 200 == 0:
            yield flush()
    yield flush()


def xlsx_chunks(
    columns: list[Column], rows: Iterable[dict[str, Any]], title: str = "Demandes"
) -> Iterator[bytes]:
    """An XLSX workbook written row by row (write-only mode), then read back in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Demandes")
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    amounts = {i for i, c in enumerate(columns) if c.kind == "amount"}
    for row in values(columns, rows):
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, Decimal):
                value = float(value)
            if isinstance(value, str):
                # control characters a workbook cannot hold (a citizen may paste them)
                cells.append(_safe(ILLEGAL_CHARACTERS_RE.sub("", value)))
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = MOMENT_FORMAT if isinstance(value, dt.datetime) else DAY_FORMAT
                cells.append(cell)
            elif index in amounts and isinstance(value, int | float):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = AMOUNT_FORMAT
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


# -- the routes --------------------------------------------------------------------------------


def _labels(slugs: list[str]) -> tuple[dict[tuple[str, str], str], dict[str, str], dict]:
    """The states' labels and titles of procedures, and the fields of each version."""
    session = db()
    catalogue = services().runtime.catalogue
    states: dict[tuple[str, str], str] = {}
    titles: dict[str, str] = {}
    fields: dict[int, list] = {}
    versions = session.execute(
        sa.select(ProcedureVersion.id, ProcedureVersion.slug)
        .where(ProcedureVersion.slug.in_(slugs))
        .order_by(ProcedureVersion.version)  # the newest version's labels win
    ).all()
    for version_id, slug in versions:
        procedure = catalogue.compiled(session, version_id).procedure
        titles[slug] = text(procedure.title)
        fields[version_id] = list(procedure.form.fields)
        for state in procedure.workflow.states:
            states[(slug, state.id)] = state_label(procedure.workflow, state.id)
    return states, titles, fields


def _columns(slug: str | None) -> list[Column]:
    site = services().runtime.site
    language = current_language()
    slugs = [slug] if slug else list(db().scalars(sa.select(ProcedureVersion.slug).distinct()))
    states, titles, fields = _labels(slugs)
    if slug and not fields:
        abort(404)
    departments = {d: text(dep.name) for d, dep in (site.departments.items() if site else [])}
    columns = fixed_columns(states, titles, departments, site.timezone if site else None)
    if slug is None:
        columns.append(
            Column(
                _("Answers"),
                lambda r: summary(fields.get(r["version_id"], []), r["answers"], language),
            )
        )
        return columns
    newest_first: list = []
    seen: set[str] = set()
    for version_fields in reversed(list(fields.values())):
        for field in version_fields:
            if field.id not in seen:
                seen.add(field.id)
                newest_first.append(field)
    words = {
        "street": _("street"),
        "postcode": _("postcode"),
        "city": _("city"),
        "country": _("country"),
        "items": _("number of items"),
        "files": _("number of files"),
    }
    return columns + field_columns(newest_first, language, words)


def _filters() -> tuple[str | None, list[str], str | None]:
    """The procedure, the departments and the state asked, within the agent's departments."""
    slug = request.args.get("procedure") or None
    departments = sorted(current_user.departments)
    asked = request.args.get("departement") or None
    if asked is not None:
        if asked not in departments:
            abort(404)
        departments = [asked]
    return slug, departments, request.args.get("etat") or None


def _download(body, mimetype: str, name: str) -> Response:
    # the rows have their own session: the request's ends here, not when the last byte
    # is sent (on SQLite a transaction holds the write lock)
    db().close()
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _name(slug: str | None, extension: str) -> str:
    day = services().clock.now().date().isoformat()
    return f"{slug or 'demandes'}-{day}.{extension}"


@bp.route("/export.csv", endpoint="csv")
@staff_required
def csv_export():
    """The cases the agent may see as CSV (of one procedure: one column per field)."""
    slug, departments, state = _filters()
    columns = _columns(slug)
    rows = case_rows(services().sessions, departments, slug, state)
    body = (chunk.encode("utf-8") for chunk in csv_chunks(columns, rows, current_language()))
    return _download(body, "text/csv", _name(slug, "csv"))


@bp.route("/export.xlsx", endpoint="xlsx")
@staff_required
def xlsx_export():
    """The same cases as an XLSX workbook."""
    slug, departments, state = _filters()
    columns = _columns(slug)
    rows = case_rows(services().sessions, departments, slug, state)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(xlsx_chunks(columns, rows, _("Requests")), mimetype, _name(slug, "xlsx"))
