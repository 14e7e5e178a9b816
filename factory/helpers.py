"""Helpers shared by the views: the catalogue, texts in the current language, and what the
views read from a request (numbers, redirect targets), judged before any database sees it."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from flask import Flask, abort, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from definitions import texts as definition_texts
from definitions.model import Page, Procedure

from .services import db, services


def current_language() -> str:
    return str(get_locale() or "fr")


def problem_text(problem) -> str:
    """A checker's problem in the current language."""
    return problem.text(definition_texts.translations(current_language()))


def text(value, language: str | None = None) -> str:
    """A definition's text (one or several languages) in the current language."""
    if value is None:
        return ""
    fallback = services().runtime.site.languages[0] if services().runtime.site else "fr"
    return value.get(language or current_language(), fallback)


def authority_name() -> str:
    site = services().runtime.site
    return text(site.authority) if site else "Guichet"


@dataclass
class Entry:
    slug: str
    title: str
    summary: str
    category: str
    minutes: int | None
    login: str


def _fold(value: str) -> str:
    """Lower case without accents, for searching."""
    return "".join(
        c for c in unicodedata.normalize("NFD", value.casefold()) if unicodedata.category(c) != "Mn"
    )


def catalogue_entries(query: str = "") -> list[Entry]:
    state = services()
    session = db()
    entries = []
    for row in state.runtime.catalogue.published(session):
        procedure = state.runtime.catalogue.compiled(session, row.id).procedure
        entry = Entry(
            procedure.slug,
            text(procedure.title),
            text(procedure.summary),
            text(procedure.category) or _("Other procedures"),
            procedure.estimated_minutes,
            procedure.login,
        )
        haystack = _fold(" ".join([entry.title, entry.summary, entry.category]))
        if all(word in haystack for word in _fold(query).split()):
            entries.append(entry)
    return sorted(entries, key=lambda e: (_fold(e.category), _fold(e.title)))


def format_day(value) -> str:
    from flask_babel import format_date

    return format_date(value, "long") if value else ""


def format_moment(value) -> str:
    from flask_babel import format_datetime

    return format_datetime(value, "d MMMM yyyy, HH:mm") if value else ""


def download(attachment):
    """An uploaded file, always as a download (never shown inline) under a safe name (the
    original stem with the extension of its detected type), or 404."""
    from flask import abort, send_file

    from renderers.file_names import download_name

    try:
        stream = services().storage.open(attachment.id)
    except OSError:  # none stored (or not a file): nothing to send
        abort(404)
    response = send_file(
        stream,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=download_name(attachment.filename, attachment.content_type),
    )
    if hasattr(stream, "fileno"):
        response.content_length = os.fstat(stream.fileno()).st_size
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def today():
    """Today in the authority's time zone, by the application's clock."""
    state = services()
    return state.runtime.calendar.today(state.clock.now())


def visible_pages(procedure: Procedure, answers: dict) -> list[Page]:
    """The pages of ``procedure`` a filer sees, given the answers so far."""
    from definitions.answers import expression_context

    context = expression_context(procedure.fields, answers, today=today())
    return [p for p in procedure.form.pages if p.when is None or p.when.holds(context)]


# -- what comes from a request -------------------------------------------------------------------


#: Ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_int(raw: str | None, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole number written in ASCII digits, within bounds; None for anything else ("²",
    "٣", "-1", "1e3", 26 digits…: ``str.isdigit`` accepts some of them, ``int`` others)."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def int_arg(
    name: str, minimum: int = 0, maximum: int = MAX_ID, *, source=None, default=None
) -> int | None:
    """A number from the query string (or ``source``, e.g. ``request.form``): ``default``
    when absent or empty, a 400 when malformed or out of bounds."""
    raw = ((request.args if source is None else source).get(name) or "").strip()
    if not raw:
        return default
    value = parse_int(raw, minimum, maximum)
    if value is None:
        abort(400)
    return value


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits making a database id (1 to ``MAX_ID``).
    Anything else matches no route, a 404 (never an overflow in the database)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site (for a redirect after signing in), else None.

    Browsers drop tabs and new lines from a URL and read a backslash as a slash, so
    ``/<tab>/x``, ``/<backslash>x`` or ``//x`` all lead to another site: a local path starts with
    exactly one ``/``, and has no backslash, no control character and no white space, even
    once percent-decoded."""
    if not target:
        return None
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return None
        if any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in form):
            return None
    return target


def _texts(value):
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def refuse_nul() -> None:
    """A NUL character has no place in a path, a query, a form or a JSON body (PostgreSQL
    refuses it in text): the request is a 400 before any view reads it."""
    texts = [request.path]
    texts += [t for pair in request.args.items(multi=True) for t in pair]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        texts += [t for pair in request.form.items(multi=True) for t in pair]
        texts += [f.filename or "" for f in request.files.values()]
        texts += list(request.files.keys())
        if request.is_json:
            texts += list(_texts(request.get_json(silent=True)))
    # a multipart part without a name comes with None as its key
    if any("\x00" in text for text in texts if text):
        abort(400)


def init_app(app: Flask) -> None:
    # before the blueprints register their routes, and before any other hook of a request
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
    app.jinja_env.globals.update(
        current_language=current_language,
        authority_name=authority_name,
        text=text,
        problem_text=problem_text,
        format_date=format_day,
        format_datetime=format_moment,
    )
    site = app.extensions["guichet"].runtime.site
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", site.timezone if site else "Europe/Paris")
