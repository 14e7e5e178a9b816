"""What the views read from a request, judged before any database sees it: ids and numbers
(ASCII digits within bounds), redirect targets (local paths only), and no NUL anywhere."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

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
